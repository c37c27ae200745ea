from django.urls import path

from vigie.tenancy import views
from vigie.tenancy import views_habilitations as habilitations

urlpatterns = [
    path("members/", views.MemberListView.as_view(), name="member_list"),
    path("members/add/", views.MemberEditView.as_view(), name="member_add"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="member_detail"),
    path("members/<int:pk>/edit/", views.MemberEditView.as_view(), name="member_edit"),
    path("people/", views.UserListView.as_view(), name="user_list"),
    path("people/add/", views.UserAddView.as_view(), name="user_add"),
    path("people/<int:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path("people/<int:pk>/edit/", views.UserEditView.as_view(), name="user_edit"),
    path(
        "people/<int:pk>/deactivate/",
        views.UserDeactivateView.as_view(),
        name="user_deactivate",
    ),
    path(
        "people/<int:pk>/reactivate/",
        views.UserReactivateView.as_view(),
        name="user_reactivate",
    ),
    path("people/<int:pk>/roles/add/", views.UserRoleAddView.as_view(), name="user_role_add"),
    path(
        "people/<int:pk>/roles/<int:assignment_id>/remove/",
        views.UserRoleRemoveView.as_view(),
        name="user_role_remove",
    ),
    path("designations/", habilitations.DesignationListView.as_view(), name="designation_list"),
    path("designations/add/", habilitations.DesignationEditView.as_view(), name="designation_add"),
    path(
        "designations/<int:pk>/",
        habilitations.DesignationDetailView.as_view(),
        name="designation_detail",
    ),
    path(
        "designations/<int:pk>/edit/",
        habilitations.DesignationEditView.as_view(),
        name="designation_edit",
    ),
    path("approvals/", habilitations.ApprovalListView.as_view(), name="approval_list"),
    path("approvals/add/", habilitations.ApprovalEditView.as_view(), name="approval_add"),
    path("approvals/<int:pk>/", habilitations.ApprovalDetailView.as_view(), name="approval_detail"),
    path(
        "approvals/<int:pk>/edit/", habilitations.ApprovalEditView.as_view(), name="approval_edit"
    ),
    path(
        "delegations/",
        habilitations.DelegationListView.as_view(),
        name="operatordelegation_list",
    ),
    path(
        "delegations/add/",
        habilitations.DelegationEditView.as_view(),
        name="operatordelegation_add",
    ),
    path(
        "delegations/<int:pk>/",
        habilitations.DelegationDetailView.as_view(),
        name="operatordelegation_detail",
    ),
    path(
        "delegations/<int:pk>/edit/",
        habilitations.DelegationEditView.as_view(),
        name="operatordelegation_edit",
    ),
    path(
        "delegations/<int:pk>/delete/",
        habilitations.DelegationDeleteView.as_view(),
        name="operatordelegation_delete",
    ),
]
