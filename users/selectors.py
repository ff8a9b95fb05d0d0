from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound

from users.models import User


def name_contains(search: str, *, through: str = "") -> Q:
    """Users whose username, first or last name contains `search`, in any case (trigram indexes serve it);
    `through` names the relation to them from another model (`"sender__"`)."""
    return (
        Q(**{f"{through}username__icontains": search})
        | Q(**{f"{through}first_name__icontains": search})
        | Q(**{f"{through}last_name__icontains": search})
    )


def user_list(*, search: str | None = None) -> QuerySet[User]:
    users = User.objects.filter(is_active=True)
    if search:
        users = users.filter(name_contains(search))
    return users.order_by("username", "id")


def user_get(user_id: uuid.UUID | str) -> User:
    try:
        return User.objects.get(pk=user_id, is_active=True)
    except (User.DoesNotExist, ValueError) as exc:
        raise NotFound() from exc
