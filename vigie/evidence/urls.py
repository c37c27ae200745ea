"""Web pages of the evidence app. Names follow ``<model_name>_<verb>``."""

from django.urls import URLPattern, URLResolver, path

from vigie.evidence import views, views_stats

urlpatterns: list[URLPattern | URLResolver] = [
    path("requisitions/", views.RequisitionListView.as_view(), name="requisition_list"),
    path("requisitions/add/", views.RequisitionAddView.as_view(), name="requisition_add"),
    path(
        "requisitions/<int:pk>/",
        views.RequisitionDetailView.as_view(),
        name="requisition_detail",
    ),
    path(
        "requisitions/<int:pk>/step/",
        views.RequisitionTransitionView.as_view(),
        name="requisition_transition",
    ),
    path(
        "requisitions/<int:pk>/ranges/add/",
        views.RangeAddView.as_view(),
        name="requisition_range_add",
    ),
    path(
        "requisitions/<int:pk>/review/",
        views.ReviewTimeAddView.as_view(),
        name="requisition_review",
    ),
    path(
        "requisitions/<int:pk>/export/", views.ExportStartView.as_view(), name="requisition_export"
    ),
    path(
        "requisitions/<int:pk>/delivery/",
        views.DeliveryAddView.as_view(),
        name="requisition_delivery",
    ),
    path("exports/<int:pk>/", views.ExportJobDetailView.as_view(), name="exportjob_detail"),
    path("exports/<int:pk>/cancel/", views.ExportJobCancelView.as_view(), name="exportjob_cancel"),
    path(
        "exports/<int:pk>/download/",
        views.ExportJobDownloadView.as_view(),
        name="exportjob_download",
    ),
    path("statistics/requisitions/", views_stats.statistics, name="evidence_statistics"),
    path(
        "statistics/requisitions.csv",
        views_stats.statistics_csv,
        name="evidence_statistics_csv",
    ),
    path(
        "statistics/years/",
        views_stats.YearlyStatisticsListView.as_view(),
        name="yearlystatistics_list",
    ),
    path(
        "statistics/years/add/",
        views_stats.YearlyStatisticsEditView.as_view(),
        name="yearlystatistics_add",
    ),
    path(
        "statistics/years/<int:pk>/",
        views_stats.YearlyStatisticsDetailView.as_view(),
        name="yearlystatistics_detail",
    ),
    path(
        "statistics/years/<int:pk>/edit/",
        views_stats.YearlyStatisticsEditView.as_view(),
        name="yearlystatistics_edit",
    ),
]
