from __future__ import annotations

import pytest
from django.test import Client

from friends import services
from friends.models import FriendRequest
from users.models import User

pytestmark = pytest.mark.django_db


def test_a_friend_request_cannot_be_made_or_changed_in_the_admin(
    admin_client: Client, user: User, other_user: User
) -> None:
    # The admin's add form made a request crossing a pending one (the API turns that into a friendship), with
    # no event: requests come only through the services.
    pending = services.friend_request_send(from_user=user, to_user=other_user).request
    assert admin_client.get("/admin/friends/friendrequest/add/").status_code == 403
    response = admin_client.post(
        "/admin/friends/friendrequest/add/", {"from_user": str(other_user.pk), "to_user": str(user.pk)}
    )
    assert response.status_code == 403
    response = admin_client.post(
        f"/admin/friends/friendrequest/{pending.pk}/change/",
        {"from_user": str(other_user.pk), "to_user": str(user.pk)},
    )
    assert response.status_code == 403
    assert list(FriendRequest.objects.values_list("from_user", "to_user")) == [(user.pk, other_user.pk)]


def test_a_friend_request_deleted_in_the_admin_is_gone_and_may_be_sent_again(
    admin_client: Client, user: User, other_user: User
) -> None:
    pending = services.friend_request_send(from_user=user, to_user=other_user).request
    assert admin_client.get(f"/admin/friends/friendrequest/{pending.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/friends/friendrequest/{pending.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not FriendRequest.objects.exists()
    assert services.friend_request_send(from_user=user, to_user=other_user).created
