"""The REST API, version 1 (included under /api/v1/ with the namespace "v1")."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from vigie.core.api import not_found
from vigie.inventory.api import views as inventory
from vigie.recording import api as recording
from vigie.recording import api_holds as recording_holds
from vigie.tenancy.api import habilitations
from vigie.tenancy.api import views as tenancy

router = DefaultRouter()
router.register("members", tenancy.MemberViewSet, basename="member")
router.register("users", tenancy.UserViewSet, basename="user")
router.register("designations", habilitations.DesignationViewSet, basename="designation")
router.register("approvals", habilitations.ApprovalViewSet, basename="approval")
router.register("delegations", habilitations.DelegationViewSet, basename="operatordelegation")
router.register("sites", inventory.SiteViewSet, basename="site")
router.register("cameras", inventory.CameraViewSet, basename="camera")
router.register("authorisations", inventory.AuthorisationViewSet, basename="authorisation")
router.register("transport-links", inventory.TransportLinkViewSet, basename="transportlink")
router.register("recorder-nodes", inventory.RecorderNodeViewSet, basename="recordernode")
router.register("storage-pools", inventory.StoragePoolViewSet, basename="storagepool")
router.register("recording-states", recording.RecordingStateViewSet, basename="recordingstate")
router.register("legal-holds", recording_holds.LegalHoldViewSet, basename="legalhold")

urlpatterns = [
    path("me/", tenancy.MeView.as_view(), name="me"),
    path("auth/token/", tenancy.ObtainTokenView.as_view(), name="auth-token"),
    path("cameras/<int:pk>/timeline/", recording.TimelineView.as_view(), name="camera-timeline"),
    *router.urls,
    # Each app routes its own endpoints (a SimpleRouter each: one API root, above).
    path("", include("vigie.audit.api_urls")),
    path("", include("vigie.recording.api_urls_masks")),
    path("", include("vigie.evidence.api_urls")),
    path("", include("vigie.supervision.api_urls")),
    path("", include("vigie.servicedesk.api_urls")),
    re_path(r"^.*$", not_found, name="not-found"),
]
