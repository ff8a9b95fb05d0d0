from __future__ import annotations

import uuid

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from chats.models import Chat, Membership
from chats.tests.helpers import group, ogg_upload, private, send, text_upload
from messages.models import Message, MessageFile
from messages.services import message_react
from users.models import User

pytestmark = pytest.mark.django_db

MESSAGE_FIELDS = {
    "id",
    "text",
    "voice",
    "chat",
    "sender",
    "files",
    "was_read_by",
    "reply_to",
    "forwarded_from",
    "mentions",
    "reactions",
    "pinned_at",
    "pinned_by",
    "updated_at",
    "created_at",
}


class TestCreate:
    def test_json_text(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        response = as_member.post("/api/messages/", {"chat": str(chat.id), "text": "hello"}, format="json")
        assert response.status_code == 201, response.data
        body = response.json()
        assert set(body) == MESSAGE_FIELDS
        assert body["text"] == "hello"
        assert body["chat"] == str(chat.id)
        assert body["sender"]["id"] == str(member.id)
        assert body["files"] == [] and body["voice"] is None and body["was_read_by"] == []
        assert body["reply_to"] is None
        assert body["created_at"] == body["updated_at"]

    def test_multipart_voice_and_files(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = private(creator, member)
        response = as_member.post(
            "/api/messages/",
            {"chat": str(chat.id), "voice": ogg_upload(), "files": [text_upload(), text_upload("b.pdf")]},
            format="multipart",
        )
        assert response.status_code == 201, response.data
        body = response.json()
        assert body["text"] is None
        assert body["voice"].startswith(f"{django_settings.PUBLIC_URL}/media/voice/")
        assert len(body["files"]) == 2
        assert all(f["item"].startswith(f"{django_settings.PUBLIC_URL}/media/attachments/") for f in body["files"])
        for f in MessageFile.objects.all():
            assert (django_settings.MEDIA_ROOT / f.item.name).exists()
        # The stored names are unguessable; the names the files were sent under come with them.
        assert [f["name"] for f in body["files"]] == ["notes.txt", "b.pdf"]
        assert not {f["item"].rsplit("/", 1)[-1] for f in body["files"]} & {"notes.txt", "b.pdf"}

    def test_a_file_keeps_the_name_it_was_sent_under(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = private(creator, member)
        names = ["Отчёт за год (final).pdf", "photo\u202egnp.exe", "line\nbreak.txt", "\U0001f600 smile.png"]
        response = as_member.post(
            "/api/messages/", {"chat": str(chat.id), "files": [text_upload(name) for name in names]}, format="multipart"
        )
        assert response.status_code == 201, response.data
        # The user's characters stay; direction overrides (a disguise) and control characters go.
        expected = ["Отчёт за год (final).pdf", "photognp.exe", "linebreak.txt", "\U0001f600 smile.png"]
        assert [f["name"] for f in response.json()["files"]] == expected
        listed = as_member.get(f"/api/messages/?chat={chat.id}").json()["results"][0]
        assert [f["name"] for f in listed["files"]] == expected

    def test_reply_to_same_chat(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        parent = send(creator, chat, "question")
        response = as_member.post(
            "/api/messages/", {"chat": str(chat.id), "text": "answer", "reply_to": str(parent.id)}, format="json"
        )
        assert response.status_code == 201
        reply = response.json()["reply_to"]
        assert reply["id"] == str(parent.id)
        assert reply["text"] == "question"
        assert reply["sender"]["id"] == str(creator.id)

    def test_reply_to_another_chat_is_400(self, as_member: APIClient, creator: User, member: User) -> None:
        chat, elsewhere = group(creator, member), group(creator, member)
        foreign = send(creator, elsewhere)
        for bad in (str(foreign.id), str(uuid.uuid4()), "nope"):
            response = as_member.post(
                "/api/messages/", {"chat": str(chat.id), "text": "x", "reply_to": bad}, format="json"
            )
            assert response.status_code == 400
            assert "reply_to" in response.json()

    @pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": None}, {"files": []}])
    def test_empty_message_is_400(self, as_member: APIClient, creator: User, member: User, body: dict) -> None:
        chat = group(creator, member)
        response = as_member.post("/api/messages/", {"chat": str(chat.id), **body}, format="json")
        assert response.status_code == 400
        assert not Message.objects.exists()

    def test_too_many_files_is_400(self, as_member: APIClient, creator: User, member: User, settings) -> None:
        chat = group(creator, member)
        limit = settings.CONSTANTS.MESSAGE_MAX_FILES
        files = [text_upload(f"{n}.txt") for n in range(limit + 1)]
        response = as_member.post("/api/messages/", {"chat": str(chat.id), "files": files}, format="multipart")
        assert response.status_code == 400
        assert "files" in response.json()

    def test_voice_must_be_audio(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        fake = SimpleUploadedFile("voice.ogg", b"plain text, not audio", content_type="text/plain")
        response = as_member.post("/api/messages/", {"chat": str(chat.id), "voice": fake}, format="multipart")
        assert response.status_code == 400
        assert "voice" in response.json()

    def test_text_limit(self, as_member: APIClient, creator: User, member: User, settings) -> None:
        settings.CONSTANTS = type(settings.CONSTANTS)(MESSAGE_TEXT_MAX_LENGTH=5)
        chat = group(creator, member)
        response = as_member.post("/api/messages/", {"chat": str(chat.id), "text": "123456"}, format="json")
        assert response.status_code == 400
        assert "text" in response.json()

    def test_chat_unknown_malformed_missing_or_not_mine(
        self, as_outsider: APIClient, creator: User, member: User
    ) -> None:
        chat = group(creator, member)
        assert as_outsider.post("/api/messages/", {"chat": str(uuid.uuid4()), "text": "x"}).status_code == 404
        assert as_outsider.post("/api/messages/", {"chat": "nope", "text": "x"}).status_code == 404
        assert as_outsider.post("/api/messages/", {"text": "x"}).status_code == 400
        assert as_outsider.post("/api/messages/", {"chat": str(chat.id), "text": "x"}).status_code == 403

    def test_counters_and_last_message(self, as_member: APIClient, creator: User, member: User, make_user) -> None:
        third = make_user()
        chat = group(creator, member, third)
        response = as_member.post("/api/messages/", {"chat": str(chat.id), "text": "x"}, format="json")
        chat.refresh_from_db()
        assert (chat.last_seq, chat.message_count, str(chat.last_message_id)) == (1, 1, response.json()["id"])
        unread = dict(Membership.objects.with_unread().filter(chat=chat).values_list("user_id", "unread_count"))
        assert unread == {creator.id: 1, member.id: 0, third.id: 1}


class TestListAndPaging:
    def test_newest_first_with_count(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        sent = [send(creator, chat, f"m{n}") for n in range(3)]
        body = as_member.get("/api/messages/", {"chat": str(chat.id)}).json()
        assert body["count"] == 3
        assert [m["id"] for m in body["results"]] == [str(m.id) for m in reversed(sent)]
        assert body["next"] is None and body["previous"] is None

    def test_chat_param_missing_unknown_malformed_not_mine(
        self, as_outsider: APIClient, creator: User, member: User
    ) -> None:
        chat = group(creator, member)
        assert as_outsider.get("/api/messages/").status_code == 400
        assert as_outsider.get("/api/messages/", {"chat": str(uuid.uuid4())}).status_code == 404
        assert as_outsider.get("/api/messages/", {"chat": "nope"}).status_code == 404
        assert as_outsider.get("/api/messages/", {"chat": str(chat.id)}).status_code == 403

    def test_search_text_and_sender_names(self, as_member: APIClient, make_user, member: User) -> None:
        carol = make_user(username="carol", first_name="Caroline", last_name="Smith")
        chat = group(carol, member)
        send(carol, chat, "about the weather")
        send(member, chat, "lunch?")

        def texts(query: str) -> list[str]:
            body = as_member.get("/api/messages/", {"chat": str(chat.id), "search": query}).json()
            assert body["count"] == len(body["results"])
            return [m["text"] for m in body["results"]]

        assert texts("WEATHER") == ["about the weather"]
        assert texts("carol") == ["about the weather"]
        assert texts("smith") == ["about the weather"]
        assert texts(member.last_name) == ["lunch?"]

    def test_page_numbers(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        sent = [send(creator, chat, f"m{n}") for n in range(25)]
        newest_first = [str(m.id) for m in reversed(sent)]
        seen = []
        url = f"/api/messages/?chat={chat.id}&page=1&page_size=10"
        while url:
            body = as_member.get(url).json()
            assert body["count"] == 25
            seen += [m["id"] for m in body["results"]]
            url = body["next"]
        assert seen == newest_first
        for page in (4, 10**17):  # past the last page, or past any list: no query reads that far
            response = as_member.get("/api/messages/", {"chat": str(chat.id), "page": page, "page_size": 10})
            assert response.status_code == 404
            assert response.json()["detail"] == "Invalid page."
        page3 = as_member.get("/api/messages/", {"chat": str(chat.id), "page": 3, "page_size": 10}).json()
        assert "page=2" in page3["previous"]

    def test_limit_offset(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        sent = [send(creator, chat, f"m{n}") for n in range(7)]
        body = as_member.get("/api/messages/", {"chat": str(chat.id), "limit": 3, "offset": 3}).json()
        assert [m["id"] for m in body["results"]] == [str(m.id) for m in reversed(sent)][3:6]
        far = as_member.get("/api/messages/", {"chat": str(chat.id), "limit": 3, "offset": 10**17}).json()
        assert far["results"] == [] and far["count"] == 7
        assert "offset=6" in body["next"] and "offset=0" in body["previous"]
        last = as_member.get(body["next"]).json()
        assert len(last["results"]) == 1 and last["next"] is None

    def test_page_size_is_capped(self, as_member: APIClient, creator: User, member: User, settings) -> None:
        settings.CONSTANTS = type(settings.CONSTANTS)(MAX_PAGE_SIZE=3)
        chat = group(creator, member)
        for n in range(5):
            send(creator, chat, f"m{n}")
        body = as_member.get("/api/messages/", {"chat": str(chat.id), "page_size": 1000}).json()
        assert len(body["results"]) == 3

    def test_cursor_paging_while_messages_arrive_has_no_gaps_or_duplicates(
        self, as_member: APIClient, creator: User, member: User
    ) -> None:
        chat = group(creator, member)
        original = [send(creator, chat, f"m{n}") for n in range(25)]
        seen: list[str] = []
        url = f"/api/messages/?chat={chat.id}&page_size=10"
        first_page = None
        while url:
            body = as_member.get(url).json()
            first_page = first_page or body
            seen += [m["id"] for m in body["results"]]
            send(creator, chat, "arrived meanwhile")  # would shift offset pages by one
            url = body["next"]
        assert seen == [str(m.id) for m in reversed(original)]
        assert len(set(seen)) == 25
        # `previous` of the first page catches up with what arrived since, newest first, then older.
        newer = as_member.get(
            f"/api/messages/?chat={chat.id}&page_size=10&after={first_page['results'][0]['id']}"
        ).json()
        assert [m["text"] for m in newer["results"]] == ["arrived meanwhile"] * 3
        assert newer["previous"] is None
        assert newer["next"]

    def test_cursor_links(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        sent = [send(creator, chat, f"m{n}") for n in range(30)]
        middle = as_member.get(
            "/api/messages/", {"chat": str(chat.id), "before": str(sent[20].id), "page_size": 5}
        ).json()
        assert [m["text"] for m in middle["results"]] == ["m19", "m18", "m17", "m16", "m15"]
        assert f"before={sent[15].id}" in middle["next"]
        assert f"after={sent[19].id}" in middle["previous"]
        back = as_member.get(middle["previous"]).json()
        assert [m["text"] for m in back["results"]] == ["m24", "m23", "m22", "m21", "m20"]

    @pytest.mark.parametrize("cursor", ["nope", str(uuid.uuid4())])
    def test_unknown_cursor_is_404(self, as_member: APIClient, creator: User, member: User, cursor: str) -> None:
        chat = group(creator, member)
        send(creator, chat)
        assert as_member.get("/api/messages/", {"chat": str(chat.id), "before": cursor}).status_code == 404

    @pytest.mark.parametrize("direction", ["before", "after"])
    def test_unknown_cursor_is_404_both_ways(
        self, as_member: APIClient, creator: User, member: User, direction: str
    ) -> None:
        chat = group(creator, member)
        send(creator, chat)
        response = as_member.get("/api/messages/", {"chat": str(chat.id), direction: str(uuid.uuid4())})
        assert response.status_code == 404
        assert response.json()["detail"] == "Unknown cursor message."

    def test_cursors_at_either_end_are_empty_pages(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        first, last = send(creator, chat, "first"), send(creator, chat, "last")
        for params in ({"before": str(first.id)}, {"after": str(last.id)}):
            response = as_member.get("/api/messages/", {"chat": str(chat.id), **params})
            assert response.status_code == 200
            assert response.json() == {"count": 2, "next": None, "previous": None, "results": []}

    def test_cursor_from_another_chat_is_404(self, as_member: APIClient, creator: User, member: User) -> None:
        chat, other = group(creator, member), group(creator, member)
        foreign = send(creator, other)
        response = as_member.get("/api/messages/", {"chat": str(chat.id), "before": str(foreign.id)})
        assert response.status_code == 404

    @pytest.mark.parametrize("page_size", [1, 10, 50])
    @pytest.mark.parametrize("mode", ["cursor", "page", "offset", "search", "before"])
    def test_message_list_uses_constant_queries_whatever_page_size(
        self,
        as_member: APIClient,
        creator: User,
        member: User,
        make_user,
        django_assert_max_num_queries,
        page_size: int,
        mode: str,
    ) -> None:
        chat = group(creator, member, *[make_user() for _ in range(5)])
        parent = send(creator, chat, "parent", files=[text_upload()])
        for n in range(page_size + 1):
            files = [text_upload()] if n % 4 == 0 else []
            message = send(creator if n % 2 else member, chat, f"m{n}", reply_to=parent.pk, files=files)
            if n % 2:  # reactions are a column of the page's query, not a query per message
                message_react(actor=member, message_id=message.pk, emoji="👍")
                message_react(actor=creator, message_id=message.pk, emoji="🎉")
        Membership.objects.filter(chat=chat).update(last_read_seq=page_size // 2)
        params = {"chat": str(chat.id), "page_size": page_size}
        params |= {
            "cursor": {},
            "page": {"page": 1},
            "offset": {"limit": page_size, "offset": 1},
            "search": {"search": "m"},
            "before": {"before": str(Message.objects.order_by("-seq").first().id)},
        }[mode]
        as_member.get("/api/messages/", params)
        # auth, membership+chat, the page (its files, readers and the cursor's seq inside); a search adds the
        # senders whose names match and its count
        with django_assert_max_num_queries(5 if mode == "search" else 3):
            response = as_member.get("/api/messages/", params)
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size


class TestDetailUpdateDeleteRead:
    def test_get(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        message = send(creator, chat)
        body = as_member.get(f"/api/message/{message.id}/").json()
        assert set(body) == MESSAGE_FIELDS
        assert body["id"] == str(message.id)

    def test_unknown_and_malformed_ids_are_404(self, as_member: APIClient) -> None:
        for verb in ("get", "patch", "delete"):
            response = getattr(as_member, verb)(f"/api/message/{uuid.uuid4()}/", {"text": "x"}, format="json")
            assert response.status_code == 404
        assert as_member.post(f"/api/message/{uuid.uuid4()}/read/").status_code == 404
        assert as_member.get("/api/message/nope/").status_code == 404
        assert as_member.post("/api/messages/read_all/", {}).status_code == 400
        assert as_member.post(f"/api/messages/read_all/?chat={uuid.uuid4()}").status_code == 404
        assert as_member.post("/api/messages/read_all/?chat=nope").status_code == 404

    def test_patch_text_moves_updated_at(self, as_creator: APIClient, creator: User, member: User) -> None:
        message = send(creator, group(creator, member), "before")
        response = as_creator.patch(f"/api/message/{message.id}/", {"text": "after"}, format="json")
        assert response.status_code == 200
        body = response.json()
        assert body["text"] == "after"
        assert body["updated_at"] > body["created_at"]

    def test_patch_cannot_empty_a_text_only_message(self, as_creator: APIClient, creator: User, member: User) -> None:
        message = send(creator, group(creator, member))
        assert as_creator.patch(f"/api/message/{message.id}/", {"text": ""}, format="json").status_code == 400
        assert as_creator.patch(f"/api/message/{message.id}/", {}, format="json").status_code == 400

    def test_delete_removes_files_on_commit_and_fixes_counters(
        self, as_creator: APIClient, creator: User, member: User, django_capture_on_commit_callbacks
    ) -> None:
        chat = group(creator, member)
        first = send(creator, chat, "first")
        last = send(creator, chat, "last", voice=ogg_upload(), files=[text_upload()])
        stored = [django_settings.MEDIA_ROOT / last.voice.name, django_settings.MEDIA_ROOT / last.files.get().item.name]
        assert all(p.exists() for p in stored)
        with django_capture_on_commit_callbacks(execute=True):
            assert as_creator.delete(f"/api/message/{last.id}/").status_code == 204
        assert not any(p.exists() for p in stored)
        chat.refresh_from_db()
        assert (chat.message_count, chat.last_message_id) == (1, first.id)
        assert Membership.objects.with_unread().get(chat=chat, user=member).unread_count == 1

    def test_read_marks_everything_before(self, as_member: APIClient, creator: User, member: User, make_user) -> None:
        third = make_user()
        chat = group(creator, member, third)
        sent = [send(creator, chat, f"m{n}") for n in range(4)]
        send(member, chat, "mine")
        response = as_member.post(f"/api/message/{sent[2].id}/read/")
        assert response.status_code == 200
        assert [u["id"] for u in response.json()["was_read_by"]] == [str(member.id)]
        membership = Membership.objects.with_unread().get(chat=chat, user=member)
        assert (membership.last_read_seq, membership.unread_count) == (3, 1)
        # Earlier messages are read too; the pointer never moves back.
        assert as_member.get(f"/api/message/{sent[0].id}/").json()["was_read_by"][0]["id"] == str(member.id)
        as_member.post(f"/api/message/{sent[0].id}/read/")
        membership = Membership.objects.with_unread().get(chat=chat, user=member)
        assert (membership.last_read_seq, membership.unread_count) == (3, 1)
        chat_view = as_member.get(f"/api/chat/{chat.id}/").json()
        assert chat_view["unread_messages_count"] == 1

    def test_sender_cannot_read_own_message(self, as_creator: APIClient, creator: User, member: User) -> None:
        message = send(creator, group(creator, member))
        assert as_creator.post(f"/api/message/{message.id}/read/").status_code == 403

    def test_read_all(self, as_member: APIClient, creator: User, member: User) -> None:
        chat = group(creator, member)
        sent = [send(creator, chat, f"m{n}") for n in range(3)]
        send(member, chat, "mine")
        response = as_member.post(f"/api/messages/read_all/?chat={chat.id}")
        assert response.status_code == 200
        assert response.json() == {"chat": str(chat.id), "user": str(member.id), "count": len(sent)}
        assert as_member.get(f"/api/chat/{chat.id}/").json()["unread_messages_count"] == 0
        assert as_member.post(f"/api/messages/read_all/?chat={chat.id}").json()["count"] == 0

    def test_detail_read_and_create_use_constant_queries(
        self, as_member: APIClient, creator: User, member: User, make_user, django_assert_max_num_queries
    ) -> None:
        chat = group(creator, member, *[make_user() for _ in range(30)])
        message = send(creator, chat, files=[text_upload(), text_upload()])
        as_member.get(f"/api/message/{message.id}/")
        # auth, message+chat+sender+reply, files, membership, readers
        with django_assert_max_num_queries(5):
            assert as_member.get(f"/api/message/{message.id}/").status_code == 200
        # + savepoint pair, membership lock, pointer UPDATE, channels, outbox, the reader's badge and its event
        with django_assert_max_num_queries(13):
            assert as_member.post(f"/api/message/{message.id}/read/").status_code == 200
        # auth, savepoint pair, membership+chat+sender, reply target, chat UPDATE, insert, files, unread UPDATE
        # returning the recipients, outbox: the new message is serialized from memory, not read back
        with django_assert_max_num_queries(10):
            response = as_member.post(
                "/api/messages/",
                {
                    "chat": str(chat.id),
                    "text": "x",
                    "reply_to": str(message.id),
                    "files": [text_upload(f"{n}.txt") for n in range(3)],
                },
                format="multipart",
            )
            assert response.status_code == 201


# Who may do what to a message in a group chat. "author" sent the message; "member" is another member.
MESSAGE_MATRIX = [
    ("get", "", {"author": 200, "member": 200, "outsider": 403, "anon": 401}),
    ("patch", "", {"author": 200, "member": 403, "outsider": 403, "anon": 401}),
    ("post", "read/", {"author": 403, "member": 200, "outsider": 403, "anon": 401}),
    ("delete", "", {"author": 204, "member": 403, "outsider": 403, "anon": 401}),
]


@pytest.mark.parametrize("role", ["author", "member", "outsider", "anon"])
@pytest.mark.parametrize(("method", "suffix", "expected"), MESSAGE_MATRIX)
def test_message_permission_matrix(
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
    message = send(creator, group(creator, member))
    users = {"author": creator, "member": member, "outsider": outsider}
    client = anon_client if role == "anon" else client_for(users[role])
    response = getattr(client, method)(f"/api/message/{message.id}/{suffix}", {"text": "t"}, format="json")
    assert response.status_code == expected[role], response.content


CHAT_SCOPED_MATRIX = [
    ("get", "/api/messages/?chat={chat}", {"creator": 200, "member": 200, "outsider": 403, "anon": 401}),
    ("post", "/api/messages/", {"creator": 201, "member": 201, "outsider": 403, "anon": 401}),
    ("post", "/api/messages/read_all/?chat={chat}", {"creator": 200, "member": 200, "outsider": 403, "anon": 401}),
]


@pytest.mark.parametrize("role", ["creator", "member", "outsider", "anon"])
@pytest.mark.parametrize("kind", ["group", "private"])
@pytest.mark.parametrize(("method", "path", "expected"), CHAT_SCOPED_MATRIX)
def test_chat_scoped_message_permission_matrix(
    role: str,
    kind: str,
    method: str,
    path: str,
    expected: dict[str, int],
    creator: User,
    member: User,
    outsider: User,
    client_for,
    anon_client: APIClient,
) -> None:
    chat: Chat = group(creator, member) if kind == "group" else private(creator, member)
    send(creator, chat)
    users = {"creator": creator, "member": member, "outsider": outsider}
    client = anon_client if role == "anon" else client_for(users[role])
    response = getattr(client, method)(path.format(chat=chat.id), {"chat": str(chat.id), "text": "t"}, format="json")
    assert response.status_code == expected[role], response.content


def test_multipart_empty_voice_files_and_reply_to_mean_none(as_member: APIClient, creator: User, member: User) -> None:
    chat = group(creator, member)
    response = as_member.post(
        "/api/messages/",
        {"chat": str(chat.id), "text": "hi", "voice": "", "files": ["", "null"], "reply_to": "null"},
        format="multipart",
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert (body["voice"], body["files"], body["reply_to"]) == (None, [], None)
