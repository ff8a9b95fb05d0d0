"""The one hook posts need from outside: a user's deletion (users/ deletes by cascade and knows nothing of posts)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import pre_delete


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from posts.services import post_counters_forget_user

    post_counters_forget_user(instance)


def connect() -> None:
    pre_delete.connect(_user_deleted, sender=settings.AUTH_USER_MODEL, dispatch_uid="posts.user_deleted")
