from django.urls import include, path

from huiyuan.api.urls import api
from huiyuan.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("huiyuan.console.urls")),
]
