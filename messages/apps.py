from django.apps import AppConfig


class MessagesConfig(AppConfig):
    # The label must not clash with django.contrib.messages, which the admin needs.
    name = "messages"
    label = "chat_messages"
    verbose_name = "Messages"
