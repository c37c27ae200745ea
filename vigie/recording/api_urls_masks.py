"""API v1 routes of privacy masks (included by vigie/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from vigie.recording.api_masks import PrivacyMaskViewSet

router = SimpleRouter()
router.register("privacy-masks", PrivacyMaskViewSet, basename="privacymask")

camera_masks = PrivacyMaskViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    path(
        "cameras/<int:camera_pk>/privacy-masks/",
        camera_masks,
        name="camera-privacymask-list",
    ),
    *router.urls,
]
