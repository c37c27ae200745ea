"""Web pages of the supervision app, and the Prometheus ``/metrics`` endpoint."""

from django.urls import URLPattern, URLResolver, path

from vigie.supervision import metrics, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("supervision/", views.DashboardView.as_view(), name="supervision_dashboard"),
    path("supervision/health/", views.CameraHealthListView.as_view(), name="camerahealth_list"),
    path(
        "supervision/health/<int:pk>/",
        views.CameraHealthDetailView.as_view(),
        name="camerahealth_detail",
    ),
    path(
        "supervision/reports/<slug:slug>/<int:year>-<int:month>.<str:fmt>",
        views.MonthlyReportView.as_view(),
        name="supervision_monthly_report",
    ),
    path("metrics", metrics.metrics_view, name="metrics"),
]
