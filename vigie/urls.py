from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("vigie.core.urls")),
    path("", include("vigie.tenancy.urls")),
    path("", include("vigie.inventory.urls")),
    path("", include("vigie.recording.urls")),
    path("", include("vigie.audit.urls")),
    path("", include("vigie.evidence.urls")),
    path("", include("vigie.supervision.urls")),
    path("", include("vigie.servicedesk.urls")),
    path("api/v1/", include(("vigie.api_urls", "v1"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]
