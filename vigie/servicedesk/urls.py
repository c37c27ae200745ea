"""Pages of the service desk. Names follow ``<model_name>_<verb>``."""

from django.urls import URLPattern, URLResolver, path

from vigie.servicedesk import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("tickets/", views.TicketListView.as_view(), name="ticket_list"),
    path("tickets/add/", views.TicketOpenView.as_view(), name="ticket_add"),
    path("tickets/<int:pk>/", views.TicketDetailView.as_view(), name="ticket_detail"),
    path("tickets/<int:pk>/edit/", views.TicketEditView.as_view(), name="ticket_edit"),
    path("tickets/<int:pk>/comment/", views.TicketCommentView.as_view(), name="ticket_comment"),
    path("tickets/<int:pk>/assign/", views.TicketAssignView.as_view(), name="ticket_assign"),
    path("tickets/<int:pk>/status/", views.TicketStatusView.as_view(), name="ticket_status"),
    path("tickets/<int:pk>/qualify/", views.TicketQualifyView.as_view(), name="ticket_qualify"),
    path("tickets/report/", views.ReportPageView.as_view(), name="servicedesk_report"),
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path(
        "notifications/<int:pk>/open/",
        views.NotificationOpenView.as_view(),
        name="notification_open",
    ),
    path("contractors/", views.ContractorListView.as_view(), name="contractor_list"),
    path("contractors/add/", views.ContractorEditView.as_view(), name="contractor_add"),
    path("contractors/<int:pk>/", views.ContractorDetailView.as_view(), name="contractor_detail"),
    path("contractors/<int:pk>/edit/", views.ContractorEditView.as_view(), name="contractor_edit"),
    path("desk-settings/", views.DeskSettingsListView.as_view(), name="desksettings_list"),
    path("desk-settings/add/", views.DeskSettingsEditView.as_view(), name="desksettings_add"),
    path(
        "desk-settings/<int:pk>/",
        views.DeskSettingsDetailView.as_view(),
        name="desksettings_detail",
    ),
    path(
        "desk-settings/<int:pk>/edit/",
        views.DeskSettingsEditView.as_view(),
        name="desksettings_edit",
    ),
]
