"""The per-chat permission check, written as SQL once: the same rows as the ORM query it replaces."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from rest_framework.exceptions import NotFound, PermissionDenied

from application.model_fields import table_fields
from chats.models import Chat, Membership
from chats.selectors import membership_get
from chats.tests.helpers import group, send

pytestmark = pytest.mark.django_db


def test_membership_get_equals_the_orm(creator, member, outsider) -> None:
    chat = group(creator, member)
    send(creator, chat)
    found = membership_get(member, chat.pk)
    expected = Membership.objects.select_related("chat").get(chat=chat, user=member)
    for model in (Membership, Chat):
        got = found if model is Membership else found.chat
        want = expected if model is Membership else expected.chat
        assert all(getattr(got, f.attname) == getattr(want, f.attname) for f in table_fields(model))
    assert not found._state.adding and found.chat.pk == chat.pk
    with pytest.raises(PermissionDenied):
        membership_get(outsider, chat.pk)
    with pytest.raises(NotFound):
        membership_get(member, uuid.uuid4())
    with transaction.atomic():
        assert membership_get(member, chat.pk, for_update=True).pk == expected.pk
