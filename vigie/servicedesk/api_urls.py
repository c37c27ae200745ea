"""API v1 routes of the service desk (a SimpleRouter: one API root, the project's)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from vigie.servicedesk import api

router = SimpleRouter()
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("ticket-comments", api.CommentViewSet, basename="ticketcomment")
router.register("ticket-history", api.StatusChangeViewSet, basename="ticketstatuschange")
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("contractors", api.ContractorViewSet, basename="contractor")
router.register("desk-settings", api.DeskSettingsViewSet, basename="desksettings")

urlpatterns: list[URLPattern | URLResolver] = [
    path("servicedesk/reports/", api.ReportView.as_view(), name="servicedesk-report"),
    *router.urls,
]
