from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from chats.models import Chat, Membership
from chats.tests.helpers import group, png_upload, private, send
from messages.models import Message
from users.models import User

pytestmark = pytest.mark.django_db

CHAT_FIELDS = {
    "id",
    "title",
    "members",
    "creator",
    "avatar",
    "created_at",
    "updated_at",
    "is_private",
    "last_message",
    "unread_messages_count",
    "is_muted",
    "muted_until",
    "unread_mentions_count",
    "pinned_message",
    # ours, beside the contract's (docs/api-chats.md, "Big groups")
    "members_count",
    "channel",
}
USER_FIELDS = {"id", "username", "first_name", "last_name", "bio", "avatar", "last_online_at", "is_online"}


def ids(users: list[dict]) -> set[str]:
    return {u["id"] for u in users}


class TestCreate:
    def test_group_json_creator_is_always_member(self, as_creator: APIClient, creator: User, member: User) -> None:
        response = as_creator.post(
            "/api/chats/",
            {"members": [str(member.id)], "is_private": False, "title": "Team", "avatar": None},
            format="json",
        )
        assert response.status_code == 201, response.data
        body = response.json()
        assert set(body) == CHAT_FIELDS
        assert set(body["creator"]) == USER_FIELDS
        assert body["title"] == "Team"
        assert ids(body["members"]) == {str(creator.id), str(member.id)}
        assert body["creator"]["id"] == str(creator.id)
        assert body["last_message"] is None
        assert body["unread_messages_count"] == 0

    def test_group_multipart_repeated_members_with_avatar_ignores_creator_field(
        self, as_creator: APIClient, creator: User, member: User, outsider: User, make_user
    ) -> None:
        third = make_user()
        response = as_creator.post(
            "/api/chats/",
            {
                "members": [str(member.id), str(third.id)],
                "is_private": "false",
                "title": "Multipart",
                "avatar": png_upload(),
                "creator": str(outsider.id),
            },
            format="multipart",
        )
        assert response.status_code == 201, response.data
        body = response.json()
        assert ids(body["members"]) == {str(creator.id), str(member.id), str(third.id)}
        assert body["creator"]["id"] == str(creator.id)
        assert body["avatar"].startswith(f"{django_settings.PUBLIC_URL}/media/chat-avatars/")

    def test_members_as_one_json_string_field(self, as_creator: APIClient, member: User) -> None:
        response = as_creator.post(
            "/api/chats/", {"members": f'["{member.id}"]', "is_private": "true"}, format="multipart"
        )
        assert response.status_code == 201, response.data
        assert response.json()["is_private"] is True

    def test_private_title_and_avatar_are_the_other_members(
        self, as_creator: APIClient, as_member: APIClient, creator: User, member: User
    ) -> None:
        member.avatar = png_upload()
        member.save()
        response = as_creator.post("/api/chats/", {"members": [str(member.id)], "is_private": True}, format="json")
        assert response.status_code == 201
        body = response.json()
        assert body["title"] == f"{member.first_name} {member.last_name}"
        assert body["avatar"] == f"{django_settings.PUBLIC_URL}/media/{member.avatar.name}"
        seen_by_member = as_member.get(f"/api/chat/{body['id']}/").json()
        assert seen_by_member["title"] == f"{creator.first_name} {creator.last_name}"
        assert seen_by_member["avatar"] is None

    def test_private_title_falls_back_to_username(self, as_creator: APIClient, make_user) -> None:
        nameless = make_user(first_name="", last_name="")
        response = as_creator.post("/api/chats/", {"members": [str(nameless.id)], "is_private": True}, format="json")
        assert response.json()["title"] == nameless.username

    def test_private_is_unique_per_pair_in_either_direction(
        self, as_creator: APIClient, as_member: APIClient, creator: User, member: User
    ) -> None:
        first = as_creator.post("/api/chats/", {"members": [str(member.id)], "is_private": True}, format="json")
        assert first.status_code == 201
        again = as_member.post("/api/chats/", {"members": [str(creator.id)], "is_private": True}, format="json")
        assert again.status_code == 400
        assert "members" in again.json()
        fallback = as_member.post(
            "/api/chats/?fallback=on", {"members": [str(creator.id)], "is_private": True}, format="json"
        )
        assert fallback.status_code == 200
        assert fallback.json()["id"] == first.json()["id"]
        assert Chat.objects.filter(is_private=True).count() == 1

    @pytest.mark.parametrize("count", [0, 2])
    def test_private_needs_exactly_one_other_member(
        self, as_creator: APIClient, make_user: Callable[..., User], count: int
    ) -> None:
        others = [str(make_user().id) for _ in range(count)]
        response = as_creator.post("/api/chats/", {"members": others, "is_private": True}, format="json")
        assert response.status_code == 400
        assert "members" in response.json()

    def test_private_with_yourself_is_refused(self, as_creator: APIClient, creator: User) -> None:
        response = as_creator.post("/api/chats/", {"members": [str(creator.id)], "is_private": True}, format="json")
        assert response.status_code == 400

    @pytest.mark.parametrize("bad", ["not-a-uuid", str(uuid.uuid4())])
    def test_unknown_members_are_400(self, as_creator: APIClient, bad: str) -> None:
        response = as_creator.post("/api/chats/", {"members": [bad], "title": "x"}, format="json")
        assert response.status_code == 400
        assert "members" in response.json()

    def test_group_member_limit(self, as_creator: APIClient, make_user, settings) -> None:
        settings.CONSTANTS = type(settings.CONSTANTS)(GROUP_MAX_MEMBERS=2)
        users = [str(make_user().id) for _ in range(2)]
        assert as_creator.post("/api/chats/", {"members": users, "title": "x"}, format="json").status_code == 400
        assert as_creator.post("/api/chats/", {"members": users[:1], "title": "x"}, format="json").status_code == 201

    def test_title_limit(self, as_creator: APIClient, settings) -> None:
        settings.CONSTANTS = type(settings.CONSTANTS)(CHAT_TITLE_MAX_LENGTH=5)
        response = as_creator.post("/api/chats/", {"members": [], "title": "x" * 6}, format="json")
        assert response.status_code == 400
        assert "title" in response.json()

    def test_bad_avatar_is_400(self, as_creator: APIClient) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        fake = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")
        response = as_creator.post("/api/chats/", {"title": "x", "avatar": fake}, format="multipart")
        assert response.status_code == 400
        assert "avatar" in response.json()

    def test_opening_text_sends_first_message(self, as_creator: APIClient, member: User) -> None:
        response = as_creator.post(
            "/api/chats/", {"members": [str(member.id)], "is_private": True, "text": "Hi!"}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["last_message"]["text"] == "Hi!"
        membership = Membership.objects.with_unread().get(user=member)
        assert membership.unread_count == 1

    def test_anonymous_is_401(self, anon_client: APIClient) -> None:
        assert anon_client.post("/api/chats/", {"title": "x"}, format="json").status_code == 401
        assert anon_client.get("/api/chats/").status_code == 401


class TestList:
    def test_only_my_chats_newest_activity_first(
        self, as_member: APIClient, creator: User, member: User, outsider: User
    ) -> None:
        old = group(creator, member, title="Old")
        new = group(creator, member, title="New")
        group(creator, outsider, title="Not mine")
        send(creator, old, "bump")  # activity moves the old chat to the top
        body = as_member.get("/api/chats/").json()
        assert body["count"] == 2
        assert [c["id"] for c in body["results"]] == [str(old.id), str(new.id)]
        assert body["results"][0]["unread_messages_count"] == 1
        assert body["results"][0]["last_message"]["text"] == "bump"

    def test_search_title_and_private_other_member_names(self, as_creator: APIClient, creator: User, make_user) -> None:
        alice = make_user(username="alice_w", first_name="Alice", last_name="Wonder")
        bob = make_user(username="bob", first_name="Robert", last_name="Builder")
        private(creator, alice)
        private(creator, bob)
        group(creator, bob, title="Wonderland club")

        def titles(query: str) -> set[str]:
            return {c["title"] for c in as_creator.get("/api/chats/", {"search": query}).json()["results"]}

        assert titles("wonder") == {"Alice Wonder", "Wonderland club"}
        assert titles("robert") == {"Robert Builder"}
        # My own name matches no chat: only the other member counts.
        assert titles(creator.first_name) == set()

    def test_pages(self, as_creator: APIClient, creator: User) -> None:
        for n in range(12):
            group(creator, title=f"g{n}")
        first = as_creator.get("/api/chats/", {"page_size": 5}).json()
        assert first["count"] == 12
        assert len(first["results"]) == 5
        assert "page=2" in first["next"]
        assert as_creator.get("/api/chats/", {"page": 4, "page_size": 5}).status_code == 404
        assert as_creator.get("/api/chats/", {"page": 4, "page_size": 5}).json()["detail"] == "Invalid page."
        for params in ({}, {"search": "g"}):  # past any list: no query reads that far
            assert as_creator.get("/api/chats/", {"page": 10**17, "page_size": 5, **params}).status_code == 404
            far = as_creator.get("/api/chats/", {"limit": 5, "offset": 10**17, **params}).json()
            assert far["results"] == [] and far["count"] == 12

    def test_limit_offset(self, as_creator: APIClient, creator: User) -> None:
        for n in range(7):
            group(creator, title=f"g{n}")
        body = as_creator.get("/api/chats/", {"limit": 3, "offset": 3}).json()
        assert body["count"] == 7
        assert [c["title"] for c in body["results"]] == ["g3", "g2", "g1"]
        assert "offset=6" in body["next"]
        assert "offset=0" in body["previous"] or "offset" not in body["previous"]

    @pytest.mark.parametrize("page_size", [1, 10, 50])
    def test_chat_list_uses_constant_queries_whatever_page_size(
        self, as_creator: APIClient, creator: User, make_user, django_assert_max_num_queries, page_size: int
    ) -> None:
        for n in range(page_size):
            other = make_user()
            chat = group(creator, other, make_user(), title=f"g{n}") if n % 2 else private(creator, other)
            message = send(other, chat, "hi")
            send(creator, chat, "there", reply_to=message.pk)
        as_creator.get("/api/chats/")  # presence write out of the way
        # auth, then the page with the count (one query: the chats' JSON, written by PostgreSQL)
        with django_assert_max_num_queries(2):
            response = as_creator.get("/api/chats/", {"page_size": page_size})
        assert len(response.json()["results"]) == page_size

    def test_chat_detail_uses_constant_queries(
        self, as_creator: APIClient, creator: User, make_user, django_assert_max_num_queries
    ) -> None:
        chat = group(creator, *[make_user() for _ in range(20)])
        send(creator, chat)
        as_creator.get(f"/api/chat/{chat.id}/")
        with django_assert_max_num_queries(4):
            assert as_creator.get(f"/api/chat/{chat.id}/").status_code == 200


class TestDetailUpdateDelete:
    def test_unknown_and_malformed_ids_are_404(self, as_creator: APIClient, creator: User) -> None:
        unknown = uuid.uuid4()
        chat = group(creator)
        assert as_creator.get(f"/api/chat/{unknown}/").status_code == 404
        assert as_creator.patch(f"/api/chat/{unknown}/", {"title": "x"}, format="json").status_code == 404
        assert as_creator.delete(f"/api/chat/{unknown}/").status_code == 404
        assert as_creator.post(f"/api/chat/{unknown}/leave/").status_code == 404
        assert as_creator.post(f"/api/chat/{unknown}/members/", {"user": str(creator.id)}).status_code == 404
        assert as_creator.delete(f"/api/chat/{unknown}/members/{creator.id}/").status_code == 404
        assert as_creator.delete(f"/api/chat/{chat.id}/members/{unknown}/").status_code == 404
        for malformed in ("/api/chat/not-a-uuid/", "/api/chat/123/leave/", f"/api/chat/{chat.id}/members/x/"):
            response = as_creator.get(malformed)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"

    def test_path_without_trailing_slash(self, as_creator: APIClient, creator: User) -> None:
        chat = group(creator)
        assert as_creator.get(f"/api/chat/{chat.id}").status_code == 200

    def test_patch_group_title_avatar_members(
        self, as_creator: APIClient, creator: User, member: User, make_user, django_capture_on_commit_callbacks
    ) -> None:
        chat = group(creator, member)
        newcomer = make_user()
        response = as_creator.patch(
            f"/api/chat/{chat.id}/",
            {"title": "Renamed", "members": [str(newcomer.id)], "avatar": png_upload()},
            format="multipart",
        )
        assert response.status_code == 200, response.data
        body = response.json()
        assert body["title"] == "Renamed"
        assert ids(body["members"]) == {str(creator.id), str(newcomer.id)}  # the creator stays
        assert body["updated_at"] > body["created_at"]
        chat.refresh_from_db()
        stored = django_settings.MEDIA_ROOT / chat.avatar.name
        assert stored.exists()
        with django_capture_on_commit_callbacks(execute=True):
            response = as_creator.patch(f"/api/chat/{chat.id}/", {"avatar": None}, format="json")
        assert response.json()["avatar"] is None
        assert not stored.exists()

    def test_private_chat_cannot_be_patched(self, as_creator: APIClient, creator: User, member: User) -> None:
        chat = private(creator, member)
        assert as_creator.patch(f"/api/chat/{chat.id}/", {"title": "x"}, format="json").status_code == 403

    def test_private_chat_deleted_by_either_member(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = private(creator, member)
        send(creator, chat)
        assert as_member.delete(f"/api/chat/{chat.id}/").status_code == 204
        assert not Chat.objects.filter(pk=chat.pk).exists()
        assert not Message.objects.exists()

    def test_leave_group(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        assert as_member.post(f"/api/chat/{chat.id}/leave/").status_code == 204
        assert not Membership.objects.filter(chat=chat, user=member).exists()
        assert as_member.get(f"/api/chat/{chat.id}/").status_code == 403

    def test_private_chat_cannot_be_left_and_creator_cannot_leave(
        self, as_creator: APIClient, creator: User, member: User
    ) -> None:
        assert as_creator.post(f"/api/chat/{private(creator, member).id}/leave/").status_code == 403
        assert as_creator.post(f"/api/chat/{group(creator, member).id}/leave/").status_code == 403

    def test_add_and_remove_one_member(
        self, as_creator: APIClient, creator: User, member: User, outsider: User
    ) -> None:
        chat = group(creator, member)
        response = as_creator.post(f"/api/chat/{chat.id}/members/", {"user": str(outsider.id)}, format="json")
        assert response.status_code == 200
        assert str(outsider.id) in ids(response.json()["members"])
        assert as_creator.delete(f"/api/chat/{chat.id}/members/{outsider.id}/").status_code == 204
        assert as_creator.delete(f"/api/chat/{chat.id}/members/{outsider.id}/").status_code == 404
        assert as_creator.delete(f"/api/chat/{chat.id}/members/{creator.id}/").status_code == 400
        response = as_creator.post(f"/api/chat/{chat.id}/members/", {"user": str(uuid.uuid4())}, format="json")
        assert response.status_code == 400

    def test_newcomer_starts_with_history_read(self, as_creator: APIClient, creator: User, outsider: User) -> None:
        chat = group(creator)
        send(creator, chat)
        as_creator.post(f"/api/chat/{chat.id}/members/", {"user": str(outsider.id)}, format="json")
        membership = Membership.objects.with_unread().get(chat=chat, user=outsider)
        assert (membership.last_read_seq, membership.unread_count) == (1, 0)


# Who may do what to a group (private chats have their own rules above). Status per role.
GROUP_MATRIX = [
    ("get", "", None, {"creator": 200, "member": 200, "outsider": 403, "anon": 401}),
    ("patch", "", {"title": "t"}, {"creator": 200, "member": 403, "outsider": 403, "anon": 401}),
    ("post", "members/", {"user": "NEW"}, {"creator": 200, "member": 403, "outsider": 403, "anon": 401}),
    ("delete", "members/THIRD/", None, {"creator": 204, "member": 403, "outsider": 403, "anon": 401}),
    ("post", "leave/", None, {"creator": 403, "member": 204, "outsider": 403, "anon": 401}),
    ("delete", "", None, {"creator": 204, "member": 403, "outsider": 403, "anon": 401}),
]


@pytest.mark.parametrize("role", ["creator", "member", "outsider", "anon"])
@pytest.mark.parametrize(("method", "suffix", "body", "expected"), GROUP_MATRIX)
def test_group_permission_matrix(
    role: str,
    method: str,
    suffix: str,
    body: dict | None,
    expected: dict[str, int],
    creator: User,
    member: User,
    outsider: User,
    make_user,
    client_for,
    anon_client: APIClient,
) -> None:
    third, new = make_user(), make_user()
    chat = group(creator, member, third)
    client = (
        anon_client
        if role == "anon"
        else client_for({"creator": creator, "member": member, "outsider": outsider}[role])
    )
    path = f"/api/chat/{chat.id}/{suffix}".replace("THIRD", str(third.id))
    if body and body.get("user") == "NEW":
        body = {"user": str(new.id)}
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == expected[role], response.content


PRIVATE_MATRIX = [
    ("get", "", {"creator": 200, "member": 200, "outsider": 403, "anon": 401}),
    ("patch", "", {"creator": 403, "member": 403, "outsider": 403, "anon": 401}),
    ("post", "leave/", {"creator": 403, "member": 403, "outsider": 403, "anon": 401}),
    ("delete", "", {"creator": 204, "member": 204, "outsider": 403, "anon": 401}),
]


@pytest.mark.parametrize("role", ["creator", "member", "outsider", "anon"])
@pytest.mark.parametrize(("method", "suffix", "expected"), PRIVATE_MATRIX)
def test_private_permission_matrix(
    role: str,
    method: str,
    suffix: str,
    expected: dict[str, int],
    creator: User,
    member: User,
    outsider: User,
    client_for,
    anon_client: APIClient,
) -> None:
    chat = private(creator, member)
    client = (
        anon_client
        if role == "anon"
        else client_for({"creator": creator, "member": member, "outsider": outsider}[role])
    )
    response = getattr(client, method)(f"/api/chat/{chat.id}/{suffix}", {"title": "t"}, format="json")
    assert response.status_code == expected[role], response.content


def test_members_search_ranks_username_then_name_prefixes(
    make_user: Callable[..., User], client_for: Callable[[User], APIClient], django_assert_max_num_queries
) -> None:
    # What a mention's completion in a big group asks for: the members matching what follows "@", best first.
    creator = make_user(username="zed", first_name="Zed", last_name="Creator")
    contains = make_user(username="xannax", first_name="X", last_name="Y")  # "ann" inside the username
    by_name = make_user(username="qq", first_name="Annika", last_name="Q")  # a first name that starts with it
    by_username = make_user(username="anna_k", first_name="K", last_name="K")
    by_last_name = make_user(username="pp", first_name="P", last_name="ANNenberg")
    make_user(username="ann_outsider")  # matches, but is not a member
    chat = group(creator, contains, by_name, by_username, by_last_name, make_user(username="nobody"), title="g")
    client = client_for(creator)
    with django_assert_max_num_queries(4):  # authentication, the membership, the count, the page
        page = client.get(f"/api/chat/{chat.pk}/members/", {"search": " Ann "}).json()
    assert page["count"] == 4
    assert [u["username"] for u in page["results"]] == ["anna_k", "qq", "pp", "xannax"]
    paged = client.get(f"/api/chat/{chat.pk}/members/", {"search": "ann", "page_size": 2, "page": 2}).json()
    assert [u["username"] for u in paged["results"]] == ["pp", "xannax"]
    assert client.get(f"/api/chat/{chat.pk}/members/", {"search": "%"}).json()["count"] == 0  # no LIKE wildcards
    everyone = client.get(f"/api/chat/{chat.pk}/members/", {"search": ""}).json()["results"]
    assert [u["username"] for u in everyone][:2] == ["zed", "xannax"]  # no search: join order
    assert client_for(make_user()).get(f"/api/chat/{chat.pk}/members/", {"search": "ann"}).status_code == 403
