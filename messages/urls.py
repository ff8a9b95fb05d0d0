from django.urls import path

from messages import views

urlpatterns = [
    path("messages/", views.MessageListView.as_view(), name="message-list"),
    path("mentions/", views.MentionListView.as_view(), name="mention-list"),
    path("messages/forward/", views.MessageForwardView.as_view(), name="message-forward"),
    path("messages/search/", views.MessageSearchView.as_view(), name="message-search"),
    path("messages/read_all/", views.MessageReadAllView.as_view(), name="message-read-all"),
    path("message/<uuid:message_id>/", views.MessageDetailView.as_view(), name="message-detail"),
    path("message/<uuid:message_id>/read/", views.MessageReadView.as_view(), name="message-read"),
    path("message/<uuid:message_id>/reactions/", views.MessageReactionsView.as_view(), name="message-reactions"),
    path("message/<uuid:message_id>/pin/", views.MessagePinView.as_view(), name="message-pin"),
    path("chat/<uuid:chat_id>/pins/", views.ChatPinsView.as_view(), name="chat-pins"),
]
