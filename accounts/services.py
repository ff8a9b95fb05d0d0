"""Deleting an account: every app lets go of the user in one transaction, then the user goes."""

from __future__ import annotations

from django.db import transaction

from application.ids import AnyId
from conversations.services import conversations_forget_user
from posts.services import posts_forget_user
from users.models import User
from users.selectors import user_get
from users.services import user_check_own, user_remove


@transaction.atomic
def account_delete(*, actor: User, user_id: AnyId) -> None:
    """Delete your own account (404 for an unknown user, 403 for somebody else's)."""
    user = user_get(user_id)
    user_check_own(actor, user)
    _delete(user)


@transaction.atomic
def account_moderate_delete(*, user_id: AnyId) -> None:
    """Delete any account (moderators, through the admin), with the same clean-up as the user's own deletion."""
    _delete(User.objects.get(pk=user_id))


def _delete(user: User) -> None:
    # The other members keep consistent chats: counters, last messages, `member_left` events, files.
    conversations_forget_user(user)
    # Likes and views the user gave leave the counters of others' posts.
    posts_forget_user(user)
    # The user's own rows go by cascade (sessions, posts, friendships...), with every stored file.
    user_remove(user)
