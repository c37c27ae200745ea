"""API v1 routes of the supervision app (a SimpleRouter: one API root, the project's)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from vigie.supervision import api

router = SimpleRouter()
router.register("camera-health", api.CameraHealthViewSet, basename="camerahealth")
router.register("health-changes", api.HealthChangeViewSet, basename="healthchange")
router.register("supervision-policies", api.SupervisionPolicyViewSet, basename="supervisionpolicy")

urlpatterns: list[URLPattern | URLResolver] = [
    path("availability/", api.AvailabilityView.as_view(), name="availability"),
    path("storage-health/", api.StorageHealthView.as_view(), name="storage-health"),
    *router.urls,
]
