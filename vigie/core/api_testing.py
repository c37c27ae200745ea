"""Test helpers for the REST API: token clients and the three isolation cases per endpoint.

``ApiIsolationCases`` gives every endpoint the cases of ``IsolationCases`` over HTTP:
without permission (403 or an empty list, nothing written), with permission (the
object is listed, readable, can be created and changed), and as a user of another
member (not listed, 404 on detail, creating into or moving an object into the other
member refused with 400/403/404, the database unchanged). Requests authenticate with
a real token, the path on which the web middleware sees nobody.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from vigie.core.testing import make_member, make_user

REFUSED_WRITE = {400, 403, 404}
LIST_LIMIT = 1000


def token_client(user: Any) -> APIClient:
    """A client that authenticates as ``user`` with an API token (no session)."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def list_url(basename: str) -> str:
    return reverse(f"v1:{basename}-list")


def detail_url(basename: str, pk: Any) -> str:
    return reverse(f"v1:{basename}-detail", kwargs={"pk": pk})


def listed_ids(response: Any) -> set[Any]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row["id"] for row in rows}


def all_rows(model: type[models.Model]) -> models.QuerySet[Any]:
    manager: Any = model._default_manager
    return manager.unrestricted() if hasattr(manager, "unrestricted") else manager.all()


class ApiIsolationCases:
    """Subclass per endpoint: set ``basename`` and ``model``, define make() and payload().

    ``viewer_role`` may view the endpoint's objects of its members; ``writer_role`` may
    add, change and delete them. ``writer_all_members`` is for objects only the whole
    syndicate's administrator may create (members). ``move_payload`` returns the change
    that would move an object into another member, or None where that means nothing.
    """

    basename: ClassVar[str]
    model: ClassVar[type[models.Model]]
    viewer_role: ClassVar[str] = "town_viewer"
    writer_role: ClassVar[str] = "syndicate_admin"
    writer_all_members: ClassVar[bool] = False
    # A harmless change a writer may PATCH; None if the endpoint has no update.
    update_payload: ClassVar[dict[str, Any] | None] = {"notes": "checked by the API tests"}
    can_delete: ClassVar[bool] = True

    # ---------------------------------------------------------------- to define

    def make(self, member: Any) -> Any:
        raise NotImplementedError

    def payload(self, member: Any) -> dict[str, Any]:
        """A valid body creating a new object in ``member``."""
        raise NotImplementedError

    def move_payload(self, obj: Any, other: Any) -> dict[str, Any] | None:
        return {"member": other.slug}

    def owner_id(self, obj: Any) -> Any:
        return obj.member_id

    def count(self) -> int:
        return all_rows(self.model).count()

    # ---------------------------------------------------------------- helpers

    def _setup(self) -> tuple[Any, Any, Any, Any]:
        a, b = make_member(), make_member()
        return a, b, self.make(a), self.make(b)

    def _writer(self, member: Any) -> APIClient:
        if self.writer_all_members:
            return token_client(make_user(role=self.writer_role, all_members=True))
        return token_client(make_user(role=self.writer_role, members=[member]))

    def _reload(self, obj: Any) -> Any:
        return all_rows(self.model).get(pk=obj.pk)

    # ---------------------------------------------------------------- without permission

    def test_without_permission_sees_and_writes_nothing(self, db: Any) -> None:
        a, _b, obj_a, _obj_b = self._setup()
        client = token_client(make_user())
        response = client.get(list_url(self.basename), {"limit": LIST_LIMIT})
        assert response.status_code in (200, 403), response.content
        if response.status_code == 200:
            assert obj_a.pk not in listed_ids(response)
        assert client.get(detail_url(self.basename, obj_a.pk)).status_code in (403, 404)
        before = self.count()
        response = client.post(list_url(self.basename), self.payload(a), format="json")
        assert response.status_code == 403, response.content
        assert response.json()["detail"]
        assert self.count() == before

    def test_viewer_may_not_write(self, db: Any) -> None:
        a, _b, obj_a, _obj_b = self._setup()
        client = token_client(make_user(role=self.viewer_role, members=[a]))
        before = self.count()
        response = client.post(list_url(self.basename), self.payload(a), format="json")
        assert response.status_code == 403, response.content
        if self.can_delete:
            assert client.delete(detail_url(self.basename, obj_a.pk)).status_code == 403
        assert self.count() == before

    # ---------------------------------------------------------------- with permission

    def test_with_permission_lists_and_reads(self, db: Any) -> None:
        a, _b, obj_a, _obj_b = self._setup()
        client = token_client(make_user(role=self.viewer_role, members=[a]))
        response = client.get(list_url(self.basename), {"limit": LIST_LIMIT})
        assert response.status_code == 200, response.content
        assert obj_a.pk in listed_ids(response)
        response = client.get(detail_url(self.basename, obj_a.pk))
        assert response.status_code == 200
        assert response.json()["id"] == obj_a.pk

    def test_with_permission_creates(self, db: Any) -> None:
        a, _b, _obj_a, _obj_b = self._setup()
        client = self._writer(a)
        before = self.count()
        response = client.post(list_url(self.basename), self.payload(a), format="json")
        assert response.status_code == 201, response.content
        created = self._reload(self.model(pk=response.json()["id"]))
        assert self.count() == before + 1
        assert client.get(detail_url(self.basename, created.pk)).status_code == 200
        if not self.writer_all_members:
            assert self.owner_id(created) == a.pk

    def test_with_permission_changes_and_deletes(self, db: Any) -> None:
        a, _b, obj_a, _obj_b = self._setup()
        client = self._writer(a)
        if self.update_payload is not None:
            url = detail_url(self.basename, obj_a.pk)
            response = client.patch(url, self.update_payload, format="json")
            assert response.status_code == 200, response.content
            for key, value in self.update_payload.items():
                assert response.json()[key] == value
        if self.can_delete:
            response = client.delete(detail_url(self.basename, obj_a.pk))
            assert response.status_code == 204, response.content
            assert not all_rows(self.model).filter(pk=obj_a.pk).exists()

    # ---------------------------------------------------------------- another member

    def test_other_member_user_sees_nothing_of_ours(self, db: Any) -> None:
        _a, b, obj_a, obj_b = self._setup()
        client = token_client(make_user(role=self.viewer_role, members=[b]))
        response = client.get(list_url(self.basename), {"limit": LIST_LIMIT})
        assert response.status_code == 200, response.content
        ids = listed_ids(response)
        assert obj_a.pk not in ids
        assert obj_b.pk in ids
        response = client.get(detail_url(self.basename, obj_a.pk))
        assert response.status_code == 404
        assert response.json()["detail"]

    def test_other_member_writer_cannot_create_into_ours(self, db: Any) -> None:
        a, b, _obj_a, _obj_b = self._setup()
        client = token_client(make_user(role=self.writer_role, members=[b]))
        before = self.count()
        response = client.post(list_url(self.basename), self.payload(a), format="json")
        assert response.status_code in REFUSED_WRITE, response.content
        assert response.json()
        assert self.count() == before

    def test_other_member_writer_cannot_touch_ours(self, db: Any) -> None:
        _a, b, obj_a, _obj_b = self._setup()
        client = token_client(make_user(role=self.writer_role, members=[b]))
        snapshot = self._snapshot(obj_a)
        url = detail_url(self.basename, obj_a.pk)
        if self.update_payload is not None:
            assert client.patch(url, self.update_payload, format="json").status_code == 404
        if self.can_delete:
            assert client.delete(url).status_code == 404
        assert client.get(url).status_code == 404
        assert self._snapshot(obj_a) == snapshot

    def test_cannot_move_into_another_member(self, db: Any) -> None:
        a, b, _obj_a, obj_b = self._setup()
        change = self.move_payload(obj_b, a)
        if change is None:
            return
        client = token_client(make_user(role=self.writer_role, members=[b]))
        snapshot = self._snapshot(obj_b)
        url = detail_url(self.basename, obj_b.pk)
        response = client.patch(url, change, format="json")
        assert response.status_code in REFUSED_WRITE, response.content
        assert response.json()
        assert self._snapshot(obj_b) == snapshot

    def _snapshot(self, obj: Any) -> dict[str, Any]:
        fresh = self._reload(obj)
        return {f.attname: f.value_from_object(fresh) for f in fresh._meta.concrete_fields}
