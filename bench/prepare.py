"""The Django side of the benchmark: pick each scenario's requests from the seeded database, issue tokens, arm the
read_all state, and count the SQL queries of one request per scenario.

    python -m bench.prepare OUT_DIR [--page-size 20] [--pool 50] [--read-all-members 4000]

Writes OUT_DIR/<scenario>.tsv (the lines bench/wrk/scenario.lua sends) and OUT_DIR/manifest.json (the scenarios,
their query counts and what the dataset looks like). Runs against DATABASE_URL, before the servers start.

Scenario data is found, not assumed: the biggest chat by messages (deep cursor pages), the user with the most
chats (chat list), the group with the most members (send to a group). read_all needs state that one request uses
up, so the bench keeps its own group ("bench: read_all", created once per cached database): 10,000 messages from
its creator and `--read-all-members` other members; before every run each member's read pointer is re-armed to
exactly 10,000 unread, and every read_all request is sent as a different member.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

READ_ALL_TITLE = "bench: read_all"
READ_ALL_UNREAD = 10_000
SEARCH_TERMS = 100


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "application.settings")
    import django

    django.setup()


def progress(text: str) -> None:
    print(f"   {text}", file=sys.stderr, flush=True)


class Tokens:
    """One session per bench user, reused by every scenario that speaks as that user."""

    def __init__(self) -> None:
        from django.utils import timezone

        from users.models import AuthSession

        self._cache: dict[Any, str] = {}
        # Sessions of earlier runs on this cached database have expired by now: prune them.
        AuthSession.objects.filter(expires_at__lte=timezone.now()).delete()

    def __call__(self, user: Any) -> str:
        self.issue([user])
        return self._cache[user.pk]

    def issue(self, users: list[Any]) -> None:
        """Sessions for many users in one INSERT (users.services.session_start is one transaction per user),
        with tokens built by the same users.tokens.token_pair_for_session."""
        from django.conf import settings
        from django.utils import timezone

        from users.models import AuthSession
        from users.tokens import token_pair_for_session

        missing = {u.pk: u for u in users if u.pk not in self._cache}
        if not missing:
            return
        now = timezone.now()
        expires = now + settings.CONSTANTS.REFRESH_TOKEN_LIFETIME
        sessions = AuthSession.objects.bulk_create(
            [AuthSession(user_id=pk, expires_at=expires, refreshed_at=now) for pk in missing]
        )
        for session in sessions:
            self._cache[session.user_id] = token_pair_for_session(session).access


def _line(method: str, path: str, token: str, body: dict[str, Any] | None = None) -> str:
    raw = json.dumps(body, separators=(",", ":")) if body is not None else ""
    return f"{method}\t{path}\t{token}\t{raw}"


def sample(rng: random.Random, items: list[Any], n: int) -> list[Any]:
    return rng.sample(items, min(n, len(items)))


def dataset_summary() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for name, table in (
            ("users", "users_user"),
            ("chats", "chats_chat"),
            ("memberships", "chats_membership"),
            ("messages", "chat_messages_message"),
        ):
            # The planner's estimate is instant and exact after the seed's ANALYZE; COUNT(*) of 1M rows is not.
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
            estimate = row[0] if row else -1
            if estimate is None or estimate < 0:
                cursor.execute(f"SELECT count(*) FROM {table}")
                estimate = cursor.fetchone()[0]
            counts[name] = int(estimate)
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        counts["database_size"] = cursor.fetchone()[0]
    return counts


def ensure_read_all_chat(members: int, rng: random.Random, exclude: set[Any]) -> Any:
    """The bench's own read_all group: READ_ALL_UNREAD messages from its creator, `members` other members.

    `exclude` (the chat-list user) stays out, so the group does not change what other scenarios measure; its
    activity time is set in the past for the same reason."""
    from django.db import transaction
    from django.utils import timezone

    from chats.models import Chat, Membership
    from messages.models import Message
    from users.models import User

    chat = Chat.objects.filter(title=READ_ALL_TITLE, is_private=False).order_by("created_at").first()
    if (
        chat is not None
        and chat.memberships.count() >= members + 1
        and chat.last_seq >= READ_ALL_UNREAD
        and not chat.memberships.filter(user_id__in=exclude).exists()
    ):
        return chat
    progress(f"creating the read_all group ({members} members, {READ_ALL_UNREAD:,} messages)")
    ids = list(
        User.objects.filter(is_active=True)
        .exclude(pk__in=exclude)
        .order_by("pk")
        .values_list("pk", flat=True)[: members * 4 + 1]
    )
    if len(ids) < 2:
        raise SystemExit("the database has too few users for read_all: seed it first")
    rng.shuffle(ids)
    creator_id, member_ids = ids[0], ids[1 : members + 1]
    now = timezone.now() - timedelta(days=365)
    with transaction.atomic():
        if chat is not None:
            chat.delete()
        chat = Chat.objects.create(
            title=READ_ALL_TITLE,
            is_private=False,
            creator_id=creator_id,
            created_at=now,
            updated_at=now,
            last_activity_at=now,
        )
        Membership.objects.bulk_create(
            [Membership(chat=chat, user_id=pk, joined_at=now) for pk in [creator_id, *member_ids]]
        )
        batch = []
        last = None
        for seq in range(1, READ_ALL_UNREAD + 1):
            last = Message(
                id=uuid.uuid4(),
                chat=chat,
                sender_id=creator_id,
                seq=seq,
                text=f"read_all message {seq}",
                created_at=now,
                updated_at=now,
            )
            batch.append(last)
        Message.objects.bulk_create(batch, batch_size=2000)
        Chat.objects.filter(pk=chat.pk).update(
            last_seq=READ_ALL_UNREAD, message_count=READ_ALL_UNREAD, last_message=last, last_activity_at=now
        )
    chat.refresh_from_db()
    return chat


def arm_read_all(chat: Any) -> int:
    """Every member but the creator gets exactly READ_ALL_UNREAD unread messages again (pointer re-armed)."""
    from chats.models import Membership

    pointer = chat.last_seq - READ_ALL_UNREAD
    return (
        Membership.objects.filter(chat=chat)
        .exclude(user_id=chat.creator_id)
        .update(last_read_seq=pointer, skipped_after=0)
    )


def build(out: Path, *, page_size: int, pool: int, read_all_members: int, seed: int) -> dict[str, Any]:
    from django.db.models import Count

    from chats.models import Chat, Membership
    from conversations.management.commands.seed_demo import WORDS
    from messages.models import Message
    from users.models import User

    rng = random.Random(seed)
    tokens = Tokens()

    def text() -> str:
        # As the seeded messages are: what the bench sends stays on the cached dataset, and a constant text piled
        # up at the top of the big group over runs until its newest 40,000 messages held too few matches for
        # search_busy's common words (their window then read the text indexes: 39 → 250 ms after a day of runs).
        return " ".join(rng.choices(WORDS, k=rng.randint(1, 12)))

    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    progress("reading the dataset")
    dataset = dataset_summary()
    # Every choice below is seeded (--seed), so each run on the same database sends the same requests.
    active_ids = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    users = list(User.objects.filter(pk__in=sample(rng, active_ids, pool)).order_by("pk"))
    if not users:
        raise SystemExit("the database has no users: seed it first")

    big_chat = Chat.objects.exclude(title=READ_ALL_TITLE).order_by("-message_count").first()
    busy_user_id = (
        Membership.objects.values("user_id").annotate(n=Count("id")).order_by("-n").values_list("user_id", "n")[:1]
    )
    busy_user_id, busy_chats = busy_user_id[0] if busy_user_id else (users[0].pk, 0)
    busy_user = User.objects.get(pk=busy_user_id)
    group = (
        Chat.objects.filter(is_private=False)
        .exclude(title=READ_ALL_TITLE)
        .annotate(n=Count("memberships"))
        .order_by("-n")
        .first()
    )
    private_ids = list(
        Chat.objects.filter(is_private=True)
        .exclude(pk=getattr(big_chat, "pk", None))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    private_chats = list(Chat.objects.filter(pk__in=sample(rng, private_ids, pool)).order_by("pk"))

    def member_of(chat: Any, n: int) -> list[Any]:
        ids = list(User.objects.filter(memberships__chat=chat).order_by("pk").values_list("pk", flat=True))
        return list(User.objects.filter(pk__in=sample(rng, ids, n)).order_by("pk"))

    scenarios: list[dict[str, Any]] = []

    def add(name: str, title: str, lines: list[str], *, once: bool = False, note: str = "", **extra: Any) -> None:
        if not lines:
            progress(f"skipping {name}: the dataset has nothing for it")
            return
        path = out / f"{name}.tsv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        scenarios.append({"name": name, "title": title, "targets": str(path), "once": once, "note": note, **extra})

    progress("issuing tokens and writing the scenarios' requests")
    add("floor", "floor: GET /api/health/db/", [_line("GET", "/api/health/db/", tokens(u)) for u in users])
    # The floor without nginx, and the bare reference (bench/bare_wsgi.py: its query, no framework), both straight
    # to gunicorn: what nginx, and what the framework and authentication, add to the floor.
    add(
        "floor_direct",
        "floor, straight to gunicorn (no nginx)",
        [_line("GET", "/api/health/db/", tokens(u)) for u in users],
        base="direct",
    )
    add(
        "bare",
        "bare WSGI reference: the floor's query through psycopg, no framework (no nginx)",
        [_line("GET", f"/?user={u.pk}", tokens(u)) for u in users],
        base="bare",
        queries=1,
    )

    lines = []
    for chat in private_chats:
        for sender in member_of(chat, 1):
            lines.append(_line("POST", "/api/messages/", tokens(sender), {"chat": str(chat.pk), "text": text()}))
    add("send_private", "send message: private chat", lines)

    if group is not None:
        senders = member_of(group, pool)
        lines = [
            _line("POST", "/api/messages/", tokens(sender), {"chat": str(group.pk), "text": text()})
            for sender in senders
        ]
        # A member who does not send watches what reaches the members (bench/group_delivery.py).
        watcher = next(u for u in member_of(group, len(senders) + 1) if u not in senders)
        add(
            "send_group",
            f"send message: group of {group.n:,} members",
            lines,
            watch={"chat": str(group.pk), "token": tokens(watcher), "members": group.n},
        )

    page_chat_ids = list(
        Chat.objects.filter(message_count__gte=page_size)
        .exclude(title=READ_ALL_TITLE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chats_with_pages = list(Chat.objects.filter(pk__in=sample(rng, page_chat_ids, pool)).order_by("pk"))
    lines = []
    for chat in chats_with_pages:
        for viewer in member_of(chat, 1):
            lines.append(_line("GET", f"/api/messages/?chat={chat.pk}&page_size={page_size}", tokens(viewer)))
    add("messages_first_page", f"messages: first page ({page_size})", lines)

    if big_chat is not None and big_chat.last_seq > page_size * 2:
        viewer = member_of(big_chat, 1)[0]
        # Cursors spread over the older half of the chat, so pages are not all hot in the cache.
        seqs = sorted({rng.randint(page_size + 1, max(page_size + 1, big_chat.last_seq // 2)) for _ in range(200)})
        cursor_ids = Message.objects.filter(chat=big_chat, seq__in=seqs).values_list("pk", flat=True)
        lines = [
            _line("GET", f"/api/messages/?chat={big_chat.pk}&before={pk}&page_size={page_size}", tokens(viewer))
            for pk in cursor_ids
        ]
        add(
            "messages_deep_page",
            f"messages: deep cursor page, chat of {big_chat.message_count:,}",
            lines,
        )

    add(
        "chat_list",
        f"chat list: user with {busy_chats:,} chats",
        [_line("GET", f"/api/chats/?page_size={page_size}", tokens(busy_user))],
        note="the first page holds the 1,000-member group (the send scenarios just wrote to it); a big group lists "
        "no members (members_count says how many)",
    )
    add(
        "chat_list_page2",
        f"chat list: user with {busy_chats:,} chats, page 2",
        [_line("GET", f"/api/chats/?page_size={page_size}&page=2", tokens(busy_user))]
        if busy_chats > 2 * page_size
        else [],
        note="the second page: chats of a few members each, as most pages are",
    )

    add(
        "unread_badge",
        f"unread badge: user with {busy_chats:,} chats",
        [_line("GET", "/api/chats/unread/", tokens(busy_user))],
        note="GET /api/chats/unread/: one aggregate over the user's memberships (O(their chats), no message "
        'counted); a send writes no member\'s row, so no stored total (docs/api-chats.md, "Mute and the badge")',
    )

    terms = []
    for user in User.objects.filter(pk__in=sample(rng, active_ids, SEARCH_TERMS)).order_by("pk"):
        source = rng.choice([user.username, user.first_name or user.username, user.last_name or user.username])
        if len(source) >= 3:
            terms.append(source[: rng.randint(3, min(6, len(source)))])
    lines = [
        _line("GET", f"/api/users/?search={term}&page_size={page_size}", tokens(rng.choice(users))) for term in terms
    ]
    add("user_search", f"user search ({len(users and terms)} terms)", lines)

    # Search: each pool user looks for a word of a message in one of their chats (every seeded word is common:
    # each is in about one message in five); the busy user's search runs over their 512 chats, the 500,000-message
    # group included (the ranked window's worst case).
    # Members of the two 1,000-member groups are left out: a page of their messages carries up to 1,000 readers
    # per message (`was_read_by`, the contract's shape), which search_busy measures.
    crowded = set(
        Membership.objects.filter(chat__in=Chat.objects.annotate(n=Count("memberships")).filter(n__gt=100)).values_list(
            "user_id", flat=True
        )
    )
    lines = []
    for viewer in (u for u in users if u.pk not in crowded):
        text = (
            Message.objects.filter(chat__memberships__user=viewer)
            .exclude(text=None)
            .order_by("chat_id", "seq")
            .values_list("text", flat=True)
            .first()
        )
        if text:
            term = rng.choice(text.split())
            lines.append(_line("GET", f"/api/messages/search/?q={term}&page_size={page_size}", tokens(viewer)))
    add(
        "search",
        "search: a word across my chats (ranked)",
        lines,
        note="users with a few chats (not in the 1,000-member groups); the query matches by stem and by "
        "substring, ranks, and cuts snippets",
    )
    busy_terms = ["coffee", "deploy", "meeting", "tonight", "review"]
    add(
        "search_busy",
        f"search: a common word across {busy_chats:,} chats",
        [
            _line("GET", f"/api/messages/search/?q={term}&page_size={page_size}", tokens(busy_user))
            for term in busy_terms
        ],
        note="the best of the newest 1,000 matches (each word is in ~20% of the messages of a 500,000-message "
        "group): the window walks the newest messages until it has them",
    )

    # read_all: one fresh member per request; the last three are kept for the query count.
    read_all_chat = ensure_read_all_chat(read_all_members, rng, exclude={busy_user.pk})
    armed = arm_read_all(read_all_chat)
    readers = list(
        User.objects.filter(memberships__chat=read_all_chat).exclude(pk=read_all_chat.creator_id).order_by("pk")
    )
    progress(f"read_all: {armed} members re-armed to {READ_ALL_UNREAD:,} unread")
    # A member the load does not use reads the chat as the load stops and times its own event, which the relay
    # delivers after every event the load queued (bench/group_delivery.py); the last three count the queries.
    tokens.issue(readers)
    lines = [_line("POST", f"/api/messages/read_all/?chat={read_all_chat.pk}", tokens(u)) for u in readers]
    watcher = readers[-4]
    add(
        "read_all",
        f"read_all: {READ_ALL_UNREAD:,} unread",
        lines[:-4],
        once=True,
        note=f"each request is a different member of a {len(readers) + 1:,}-member group with "
        f"{READ_ALL_UNREAD:,} unread",
        watch={
            "chat": str(read_all_chat.pk),
            "token": tokens(watcher),
            "members": len(readers) + 1,
            "event": "read_all",
        },
    )
    query_lines = {s["name"]: Path(s["targets"]).read_text().splitlines()[:3] for s in scenarios}
    query_lines["read_all"] = lines[-3:]

    progress("counting SQL queries per request")
    for scenario in scenarios:
        if scenario.get("base") == "bare":
            continue  # not Django
        scenario["queries"], scenario["queries_all"], scenario["sql_ms"] = count_queries(query_lines[scenario["name"]])
    # Query counting sent read_all as its last members: re-arm them so the next run starts the same way.
    arm_read_all(read_all_chat)

    manifest = {
        "dataset": dataset,
        "page_size": page_size,
        "scenarios": scenarios,
        "big_chat": {"id": str(big_chat.pk), "messages": big_chat.message_count} if big_chat else None,
        "group": {"id": str(group.pk), "members": group.n} if group else None,
        "busy_user": {"id": str(busy_user.pk), "chats": busy_chats},
        "read_all_chat": {"id": str(read_all_chat.pk), "members": len(readers) + 1},
        "prepared_in_s": round(time.monotonic() - started, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def count_queries(lines: list[str]) -> tuple[int | None, list[int], float | None]:
    """Send each line through Django's test client (the same middleware and views as gunicorn serves) and count
    its queries. Each token first calls the floor endpoint, so the once-a-minute presence write of a user's first
    request is not counted: under load it is amortised over a minute of that user's requests."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = []
    sql_ms = []
    for line in lines:
        method, path, token, body = [*line.split("\t"), ""][:4]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        client.get("/api/health/db/", **headers)
        with CaptureQueriesContext(connection) as captured:
            if method == "GET":
                response = client.get(path, **headers)
            else:
                response = client.generic(method, path, body or "", content_type="application/json", **headers)
        if response.status_code >= 400:
            progress(f"warning: {method} {path} answered {response.status_code}: {response.content[:200]!r}")
        counts.append(len(captured))
        sql_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    # The database's share of a request: the median of the measured requests' query time.
    median_sql = sorted(sql_ms)[len(sql_ms) // 2] if sql_ms else None
    return (max(counts) if counts else None), counts, median_sql


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--pool", type=int, default=50, help="users (and chats) each scenario rotates through")
    parser.add_argument("--read-all-members", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    _setup_django()
    manifest = build(
        args.out,
        page_size=args.page_size,
        pool=args.pool,
        read_all_members=args.read_all_members,
        seed=args.seed,
    )
    for scenario in manifest["scenarios"]:
        if scenario.get("sql_ms") is not None:
            name, queries, sql_ms = scenario["name"], scenario["queries"], scenario["sql_ms"]
            progress(f"{name:<20} {queries} queries/request, {sql_ms:.1f} ms in SQL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
