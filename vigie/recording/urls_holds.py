"""Legal hold pages (included by recording/urls.py). Names follow ``<model_name>_<verb>``;
there is no edit or delete page: a hold is only released."""

from __future__ import annotations

from django.urls import path

from vigie.recording import views_holds

urlpatterns = [
    path("holds/", views_holds.LegalHoldListView.as_view(), name="legalhold_list"),
    path("holds/add/", views_holds.LegalHoldAddView.as_view(), name="legalhold_add"),
    path("holds/<int:pk>/", views_holds.LegalHoldDetailView.as_view(), name="legalhold_detail"),
    path(
        "holds/<int:pk>/release/",
        views_holds.LegalHoldReleaseView.as_view(),
        name="legalhold_release",
    ),
]
