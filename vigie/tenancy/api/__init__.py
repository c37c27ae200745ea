"""The tenancy REST API: serializers here (also used by the CLI), viewsets in views."""

from vigie.tenancy.api.serializers import MemberSerializer, RoleSerializer, UserSerializer

__all__ = ["MemberSerializer", "RoleSerializer", "UserSerializer"]
