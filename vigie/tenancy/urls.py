from django.urls import path

from vigie.tenancy import views

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
]
