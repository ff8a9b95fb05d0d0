from django.urls import path

from messages import views

urlpatterns = [
    path("messages/", views.MessageListView.as_view(), name="message-list"),
    path("messages/read_all/", views.MessageReadAllView.as_view(), name="message-read-all"),
    path("message/<uuid:message_id>/", views.MessageDetailView.as_view(), name="message-detail"),
    path("message/<uuid:message_id>/read/", views.MessageReadView.as_view(), name="message-read"),
]
