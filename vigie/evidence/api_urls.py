"""API v1 routes of the evidence app (included by vigie/api_urls.py)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from vigie.evidence import api

router = SimpleRouter()
router.register("requisitions", api.RequisitionViewSet, basename="requisition")
router.register("requisition-ranges", api.RequisitionRangeViewSet, basename="requisitionrange")
router.register("review-times", api.ReviewTimeViewSet, basename="reviewtime")
router.register("export-jobs", api.ExportJobViewSet, basename="exportjob")
router.register("deliveries", api.DeliveryViewSet, basename="delivery")
router.register("yearly-statistics", api.YearlyStatisticsViewSet, basename="yearlystatistics")

urlpatterns: list[URLPattern | URLResolver] = [
    path("statistics/", api.StatisticsView.as_view(), name="evidence-statistics"),
    *router.urls,
]
