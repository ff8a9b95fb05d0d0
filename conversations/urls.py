from django.urls import path

from conversations import views

urlpatterns = [
    path("chats/", views.ChatListView.as_view(), name="chat-list"),
    path("chat/<uuid:chat_id>/", views.ChatDetailView.as_view(), name="chat-detail"),
    path("chats/unread/", views.UnreadTotalsView.as_view(), name="chat-unread"),
    path("chat/<uuid:chat_id>/mute/", views.ChatMuteView.as_view(), name="chat-mute"),
    path("chat/<uuid:chat_id>/typing/", views.ChatTypingView.as_view(), name="chat-typing"),
    path("chat/<uuid:chat_id>/leave/", views.ChatLeaveView.as_view(), name="chat-leave"),
    path("chat/<uuid:chat_id>/members/", views.ChatMembersView.as_view(), name="chat-members"),
    path(
        "chat/<uuid:chat_id>/members/<uuid:user_id>/",
        views.ChatMemberDetailView.as_view(),
        name="chat-member-detail",
    ),
]
