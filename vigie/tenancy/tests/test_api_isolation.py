"""The three isolation cases, over HTTP, for members and people."""

import itertools

from vigie.core.api_testing import ApiIsolationCases
from vigie.core.testing import make_user
from vigie.tenancy.models import Member, User

_n = itertools.count(1)


class TestMemberApi(ApiIsolationCases):
    basename = "member"
    model = Member
    writer_all_members = True  # only the whole syndicate's administrator adds members
    update_payload = {"population": 62000}

    def make(self, member):
        return member

    def payload(self, member):
        n = next(_n)
        return {"name": f"Commune {n}", "slug": f"commune-{n}", "insee_code": "92002"}

    def move_payload(self, obj, other):
        return None  # a member is its own owner

    def owner_id(self, obj):
        return obj.pk


class TestUserApi(ApiIsolationCases):
    basename = "user"
    model = User
    viewer_role = "auditor"
    update_payload = {"first_name": "Camille"}
    # DELETE deactivates rather than deletes: tested in test_api_people_manage.py.
    can_delete = False

    def make(self, member):
        return make_user(role="town_viewer", members=[member])

    def payload(self, member):
        return {
            "username": f"agent{next(_n)}",
            "password": "Une-phrase-de-passe-longue-2025",
            "first_name": "Camille",
            "role": "town_viewer",
            "members": [member.slug],
        }

    def move_payload(self, obj, other):
        return None

    def owner_id(self, obj):
        return obj.role_assignments.get().members.get().pk

    def count(self):
        return User.objects.count()
