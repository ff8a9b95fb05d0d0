"""`manage.py seed_demo`: a demo or benchmark dataset, fast.

Rows are generated in Python and written in batches: PostgreSQL gets COPY (about a million messages a minute),
other databases `executemany`. Everything derived is written consistent from the start — each chat's seq counter,
message count, last message and activity time, and each membership's read pointer and unread count — so the API
behaves on seeded data exactly as on data it wrote itself.

Shape: one large group (`--group-size` members) receives `--big-chat-share` of the messages; the first user has
`--busy-user-chats` private chats; the remaining chats are private chats and small groups between random users.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from chats.models import Chat, Membership, private_key_for
from messages.models import Message
from users.models import User

WORDS = [
    "hello",
    "hi",
    "ok",
    "thanks",
    "sure",
    "tomorrow",
    "today",
    "meeting",
    "lunch",
    "coffee",
    "code",
    "review",
    "deploy",
    "bug",
    "fix",
    "release",
    "ticket",
    "weekend",
    "plans",
    "photo",
    "call",
    "later",
    "great",
    "idea",
    "agreed",
    "done",
    "soon",
    "maybe",
    "tonight",
    "music",
    "film",
    "book",
    "train",
    "late",
]
UNREAD_WINDOW = 20  # members are at most this many messages behind: realistic badges, cheap to compute


@dataclass
class PlannedChat:
    id: uuid.UUID
    members: list[uuid.UUID]
    creator: uuid.UUID
    is_private: bool
    title: str = ""
    messages: int = 0
    last_message: uuid.UUID | None = None
    last_at: datetime | None = None
    senders: list[int] = field(default_factory=list)  # member index of each message's sender, by seq


class Command(BaseCommand):
    help = "Fill the database with demo users, chats and messages (bulk inserts, consistent read state)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=100)
        parser.add_argument("--chats", type=int, default=50)
        parser.add_argument("--messages", type=int, default=1000)
        parser.add_argument("--group-size", type=int, default=1000, help="members of the one large group")
        parser.add_argument("--busy-user-chats", type=int, default=500, help="private chats of the first user")
        parser.add_argument("--big-chat-share", type=float, default=0.3, help="share of messages in the large group")
        parser.add_argument("--password", default="demo-password-2024", help="password of every demo user")
        parser.add_argument("--prefix", default="demo", help="username prefix")
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable datasets)")
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["users"] < 2 or options["chats"] < 1 or options["messages"] < 0:
            raise CommandError("need at least 2 users and 1 chat")
        self.rng = random.Random(options["seed"])
        self.batch = options["batch"]
        self.quiet = options["verbosity"] == 0
        with transaction.atomic():
            deferred = self._drop_secondary_indexes([Message, Membership])
            users = self._users(options)
            chats = self._plan_chats(users, options)
            self._plan_messages(chats, options["messages"], options["big_chat_share"])
            self._write_chats(chats)
            self._write_messages(chats)  # also records each message's sender, which read state needs
            self._write_memberships(chats)
            self._restore(deferred)
        with connection.cursor() as cursor:
            for model in (User, Chat, Membership, Message):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        busy = User.objects.get(pk=users[0])
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(users)} users, {len(chats)} chats, {options['messages']} messages. "
                f"Busiest user: {busy.username}. Password of every demo user: {options['password']}"
            )
        )

    # -- users ----------------------------------------------------------------------------------------------------

    def _users(self, options: dict[str, Any]) -> list[uuid.UUID]:
        prefix = options["prefix"]
        start = User.objects.filter(username__startswith=prefix).count()
        password = make_password(options["password"])  # hashed once: every demo user shares it
        now = timezone.now()
        users = [
            User(
                username=f"{prefix}{start + n}",
                first_name=self.rng.choice(FIRST_NAMES),
                last_name=self.rng.choice(LAST_NAMES),
                password=password,
                last_online_at=now - timedelta(minutes=self.rng.randint(0, 600)),
            )
            for n in range(options["users"])
        ]
        for chunk in tqdm(_chunks(users, self.batch), desc="users", disable=self.quiet, unit="batch"):
            User.objects.bulk_create(chunk, batch_size=self.batch)
        return [u.pk for u in users]

    # -- plan -----------------------------------------------------------------------------------------------------

    def _plan_chats(self, users: list[uuid.UUID], options: dict[str, Any]) -> list[PlannedChat]:
        total = options["chats"]
        group_size = max(2, min(options["group_size"], len(users)))
        chats = [PlannedChat(uuid.uuid4(), users[:group_size], users[0], False, "Everyone")]
        pairs: set[str] = set()

        def add_private(a: uuid.UUID, b: uuid.UUID) -> bool:
            key = private_key_for(a, b)
            if a == b or key in pairs:
                return False
            pairs.add(key)
            chats.append(PlannedChat(uuid.uuid4(), [a, b], a, True))
            return True

        busy = min(options["busy_user_chats"], len(users) - 1, total - 1)
        for other in users[1 : busy + 1]:
            add_private(users[0], other)
        attempts = 0
        while len(chats) < total and attempts < total * 20:
            attempts += 1
            if self.rng.random() < 0.7:
                add_private(*self.rng.sample(users, 2))
            else:
                members = self.rng.sample(users, min(len(users), self.rng.randint(3, 8)))
                chats.append(PlannedChat(uuid.uuid4(), members, members[0], False, f"Group {len(chats)}"))
        return chats

    def _plan_messages(self, chats: list[PlannedChat], total: int, big_share: float) -> None:
        big = int(total * big_share) if len(chats) > 1 else total
        chats[0].messages = big
        rest = chats[1:]
        for _ in range(total - big):
            self.rng.choice(rest).messages += 1

    # -- writes ---------------------------------------------------------------------------------------------------

    def _write_chats(self, chats: list[PlannedChat]) -> None:
        # Each chat's last message id and time are decided here; the message rows follow in the same
        # transaction (foreign keys are checked at commit).
        now = timezone.now()
        for chat in chats:
            chat.last_message = uuid.uuid4() if chat.messages else None
            chat.last_at = now - timedelta(seconds=self.rng.randint(0, 30 * 86400))
        rows = (
            (
                c.id,
                c.title,
                "",
                c.is_private,
                c.creator,
                private_key_for(*c.members) if c.is_private else None,
                c.messages,
                c.messages,
                c.last_message,
                c.last_at,
                c.last_at - timedelta(days=30),
                c.last_at,
            )
            for c in chats
        )
        columns = [
            "id",
            "title",
            "avatar",
            "is_private",
            "creator_id",
            "private_key",
            "last_seq",
            "message_count",
            "last_message_id",
            "last_activity_at",
            "created_at",
            "updated_at",
        ]
        self._insert(Chat, columns, rows, total=len(chats), desc="chats")

    def _write_messages(self, chats: list[PlannedChat]) -> None:
        columns = ["id", "chat_id", "sender_id", "seq", "text", "voice", "reply_to_id", "created_at", "updated_at"]
        total = sum(c.messages for c in chats)
        self._insert(Message, columns, self._message_rows(chats), total=total, desc="messages")

    def _message_rows(self, chats: list[PlannedChat]) -> Iterator[tuple]:
        rng = self.rng
        for chat in chats:
            if not chat.messages:
                continue
            start = chat.last_at - timedelta(days=30)
            step = (chat.last_at - start) / chat.messages
            previous: uuid.UUID | None = None
            for seq in range(1, chat.messages + 1):
                message_id = chat.last_message if seq == chat.messages else uuid.uuid4()
                sender_index = rng.randrange(len(chat.members))
                chat.senders.append(sender_index)
                at = start + step * seq
                reply_to = previous if previous and rng.random() < 0.05 else None
                text = " ".join(rng.choices(WORDS, k=rng.randint(1, 12)))
                yield (message_id, chat.id, chat.members[sender_index], seq, text, "", reply_to, at, at)
                previous = message_id

    def _write_memberships(self, chats: list[PlannedChat]) -> None:
        columns = ["chat_id", "user_id", "joined_at", "last_read_seq", "skipped_after"]
        total = sum(len(c.members) for c in chats)
        self._insert(Membership, columns, self._membership_rows(chats), total=total, desc="memberships")

    def _membership_rows(self, chats: Sequence[PlannedChat]) -> Iterator[tuple]:
        rng = self.rng
        for chat in chats:
            joined = chat.last_at - timedelta(days=30)
            for index, user_id in enumerate(chat.members):
                behind = rng.randint(0, min(UNREAD_WINDOW, chat.messages))
                pointer = chat.messages - behind
                # Their own messages after the pointer are not unread for them (no message is deleted here).
                skipped = sum(1 for s in chat.senders[pointer:] if s == index)
                yield (chat.id, user_id, joined, pointer, skipped)

    def _drop_secondary_indexes(self, models: list[type]) -> list[str]:
        """Drop the loaded tables' indexes and constraints but the primary key, and return the SQL
        that recreates them. Building an index or validating a foreign key once over the loaded rows is many
        times faster than maintaining it row by row during COPY."""
        drop, create, constrain = [], [], []
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC",
                    [table],
                )
                for name, definition, _kind in cursor.fetchall():
                    drop.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    constrain.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS ("
                    "SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid)",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    drop.append(f'DROP INDEX "{name}"')
                    create.append(definition)
            for statement in drop:
                cursor.execute(statement)
        return create + constrain

    def _restore(self, statements: list[str]) -> None:
        if not statements:
            return
        with connection.cursor() as cursor:
            # Run the deferred checks queued so far (the chats' last_message ids), so the tables can be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for statement in tqdm(statements, desc="indexes", disable=self.quiet, unit="index"):
                cursor.execute(statement)

    def _insert(self, model: type, columns: list[str], rows: Iterable[tuple], *, total: int, desc: str) -> None:
        table = model._meta.db_table
        bar = tqdm(total=total, desc=desc, disable=self.quiet, unit="row", unit_scale=True)
        copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for n, row in enumerate(rows, 1):
                copy.write_row(row)
                if n % self.batch == 0:
                    bar.update(self.batch)
            bar.update(bar.total - bar.n)
        bar.close()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


FIRST_NAMES = [
    "Anna",
    "Boris",
    "Clara",
    "Denis",
    "Elena",
    "Fedor",
    "Galina",
    "Igor",
    "Irina",
    "Kirill",
    "Lena",
    "Maxim",
    "Nina",
    "Oleg",
    "Polina",
    "Roman",
]
LAST_NAMES = [
    "Ivanova",
    "Petrov",
    "Smirnova",
    "Kuznetsov",
    "Popova",
    "Sokolov",
    "Lebedeva",
    "Kozlov",
    "Novikova",
    "Morozov",
    "Volkova",
]
