from django.urls import include, path

from huiyuan.api.urls import api
from huiyuan.core.views import healthz, metrics, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("m/", include("huiyuan.portal.urls")),
    path("pay/", include("huiyuan.payments.urls")),
    path("care/", include("huiyuan.care.urls")),
    path("", include("huiyuan.console.urls")),
]

handler400 = "huiyuan.console.errors.bad_request"
handler403 = "huiyuan.console.errors.permission_denied"
handler404 = "huiyuan.console.errors.page_not_found"
handler500 = "huiyuan.console.errors.server_error"
