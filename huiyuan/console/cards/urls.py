"""Card batch pages and counter activation (same "console" namespace)."""

from django.urls import path

from huiyuan.console.cards import activate, batches

urlpatterns = [
    path("card-batches/", batches.batch_list, name="card_batches"),
    path("card-batches/new/", batches.batch_create, name="card_batch_create"),
    path("card-batches/<int:batch_id>/", batches.batch_detail, name="card_batch"),
    path(
        "card-batches/<int:batch_id>/generate/", batches.batch_generate, name="card_batch_generate"
    ),
    path("card-batches/<int:batch_id>/sell/", batches.batch_sell, name="card_batch_sell"),
    path("card-batches/<int:batch_id>/void/", batches.batch_void, name="card_batch_void"),
    path(
        "card-batches/<int:batch_id>/export.xlsx",
        batches.batch_export_xlsx,
        name="card_batch_export",
    ),
    path("card-batches/<int:batch_id>/sheet/", batches.batch_sheet, name="card_batch_sheet"),
    path("counter/activate/", activate.activate, name="counter_activate"),
]
