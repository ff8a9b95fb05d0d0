from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    """No models: the chat API and the actions that span a chat and its messages (see the package docstring)."""

    name = "conversations"
    verbose_name = "Conversations"
