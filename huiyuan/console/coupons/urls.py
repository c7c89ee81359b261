from django.urls import path

from huiyuan.console.coupons import views

urlpatterns = [
    path("coupons/", views.coupon_list, name="coupon_list"),
    path("coupons/templates/", views.template_list, name="coupon_templates"),
    path("coupons/templates/new/", views.template_form, name="coupon_template_create"),
    path("coupons/templates/<int:template_id>/", views.template_detail, name="coupon_template"),
    path(
        "coupons/templates/<int:template_id>/edit/",
        views.template_form,
        name="coupon_template_edit",
    ),
    path(
        "coupons/templates/<int:template_id>/stop/",
        views.template_stop,
        name="coupon_template_stop",
    ),
    path(
        "coupons/templates/<int:template_id>/issue/",
        views.template_issue,
        name="coupon_template_issue",
    ),
    path(
        "coupons/templates/<int:template_id>/batch/",
        views.template_batch,
        name="coupon_template_batch",
    ),
    path("coupons/batches/<int:batch_id>/", views.batch_progress, name="coupon_batch"),
    path("coupons/group-buy/", views.groupbuy_page, name="coupon_groupbuy"),
]
