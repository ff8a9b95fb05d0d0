from django.urls import path

from friends import views

urlpatterns = [
    path("friends/", views.FriendListView.as_view(), name="friend-list"),
    path("friends/requests/", views.FriendRequestListView.as_view(), name="friend-request-list"),
    path(
        "friends/requests/<uuid:request_id>/",
        views.FriendRequestDetailView.as_view(),
        name="friend-request-detail",
    ),
    path(
        "friends/requests/<uuid:request_id>/accept/",
        views.FriendRequestAcceptView.as_view(),
        name="friend-request-accept",
    ),
    path(
        "friends/requests/<uuid:request_id>/decline/",
        views.FriendRequestDeclineView.as_view(),
        name="friend-request-decline",
    ),
    path("friends/<uuid:user_id>/", views.FriendDetailView.as_view(), name="friend-detail"),
]
