"""The inventory's REST API: serializers here (also used by the CLI), viewsets in views."""

from vigie.inventory.api.serializers import (
    AuthorisationSerializer,
    CameraSerializer,
    RecorderNodeSerializer,
    SiteSerializer,
    StoragePoolSerializer,
    TransportLinkSerializer,
)

__all__ = [
    "AuthorisationSerializer",
    "CameraSerializer",
    "RecorderNodeSerializer",
    "SiteSerializer",
    "StoragePoolSerializer",
    "TransportLinkSerializer",
]
