"""API v1 routes of the audit app (included by vigie/api_urls.py under /api/v1/)."""

from django.urls import URLPattern, URLResolver, path, re_path
from rest_framework.routers import SimpleRouter

from vigie.audit import api

router = SimpleRouter()
router.register("subject-requests", api.SubjectRequestViewSet, basename="subjectrequest")

urlpatterns: list[URLPattern | URLResolver] = [
    path("registers/journal/", api.JournalRegisterView.as_view(), name="journal-register"),
    re_path(
        r"^registers/(?P<member>[-a-zA-Z0-9_]{1,50})/(?P<kind>recordings|holds|deliveries)/$",
        api.RegisterView.as_view(),
        name="register",
    ),
    *router.urls,
]
