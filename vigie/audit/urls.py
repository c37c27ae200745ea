"""Web pages of the audit app: the registers, the journal register and the requests
from persons (included at the root by vigie/urls.py). Names follow ``<model_name>_<verb>``
for the requests."""

from django.urls import URLPattern, URLResolver, path, re_path

from vigie.audit import views

KIND = r"(?P<kind>recordings|holds|deliveries)"
MEMBER = r"(?P<member>[-a-zA-Z0-9_]{1,50})"

urlpatterns: list[URLPattern | URLResolver] = [
    path("registers/", views.RegisterIndexView.as_view(), name="register_index"),
    path("registers/journal/", views.JournalRegisterView.as_view(), name="journal_register"),
    path(
        "registers/journal.csv",
        views.JournalRegisterView.as_view(fmt="csv"),
        name="journal_register_csv",
    ),
    path(
        "registers/journal.pdf",
        views.JournalRegisterView.as_view(fmt="pdf"),
        name="journal_register_pdf",
    ),
    re_path(rf"^registers/{MEMBER}/{KIND}/$", views.RegisterView.as_view(), name="register"),
    re_path(
        rf"^registers/{MEMBER}/{KIND}\.csv$",
        views.RegisterView.as_view(fmt="csv"),
        name="register_csv",
    ),
    re_path(
        rf"^registers/{MEMBER}/{KIND}\.pdf$",
        views.RegisterView.as_view(fmt="pdf"),
        name="register_pdf",
    ),
    path("requests/", views.SubjectRequestListView.as_view(), name="subjectrequest_list"),
    path("requests/add/", views.SubjectRequestEditView.as_view(), name="subjectrequest_add"),
    path(
        "requests/<int:pk>/",
        views.SubjectRequestDetailView.as_view(),
        name="subjectrequest_detail",
    ),
    path(
        "requests/<int:pk>/edit/",
        views.SubjectRequestEditView.as_view(),
        name="subjectrequest_edit",
    ),
    path(
        "requests/<int:pk>/status/",
        views.SubjectRequestTransitionView.as_view(),
        name="subjectrequest_transition",
    ),
    path(
        "requests/<int:pk>/extend/",
        views.SubjectRequestExtendView.as_view(),
        name="subjectrequest_extend",
    ),
    path(
        "requests/<int:pk>/viewing-copy/",
        views.SubjectRequestViewingCopyView.as_view(),
        name="subjectrequest_viewing_copy",
    ),
]
