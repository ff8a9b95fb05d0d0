"""No orphans: stored files go away with the rows that reference them, after the transaction commits.

Services call:
- `delete_files_on_commit(*files)` for files a change drops (a replaced or removed avatar);
- `delete_with_files(obj_or_queryset)` instead of `.delete()`: the rows go (with their cascade) and every file of
  every deleted row (messages' voice and files of a deleted chat, a deleted user's avatar...) is removed on commit;
- `collect_file_names(...)` when they delete some other way and only need the names.

Files are deleted only once the transaction commits (a rollback keeps them, since the rows are back), and a failed
deletion is logged, never raised: what is left behind is found by `manage.py uploads_cleanup_orphans`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections, models, router, transaction
from django.db.models.deletion import Collector
from django.db.models.fields.files import FieldFile

from application.model_fields import table_fields
from uploads.paths import UnguessablePath
from uploads.storage import iter_stored

logger = logging.getLogger(__name__)
BATCH = 1000


@dataclass(frozen=True)
class StoredFileField:
    model: type[models.Model]
    field: models.FileField

    @property
    def prefix(self) -> str | None:
        """The folder every file of this field is stored under, when the field's `upload_to` tells it."""
        upload_to = self.field.upload_to
        if isinstance(upload_to, UnguessablePath):
            return upload_to.prefix.strip("/")
        if isinstance(upload_to, str) and upload_to:
            static = upload_to.split("%", 1)[0].strip("/")
            return static or None
        return None

    @property
    def storage(self) -> Storage:
        return self.field.storage

    def __str__(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def file_fields() -> list[StoredFileField]:
    """Every concrete FileField/ImageField of every installed model (so new apps are covered without changes)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in table_fields(model, inherited=False):
            if isinstance(field, models.FileField):
                found.append(StoredFileField(model, field))
    return found


def _model_file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [f for f in table_fields(model) if isinstance(f, models.FileField)]


def _names(value: Any) -> Iterator[tuple[Storage, str]]:
    if value is None:
        return
    if isinstance(value, FieldFile):
        if value.name:
            yield value.storage, value.name
    elif isinstance(value, str):
        if value:
            yield default_storage, value
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Storage):
        if value[1]:
            yield value
    elif isinstance(value, Iterable):
        for item in value:
            yield from _names(item)
    else:
        raise TypeError(f"not a file: {value!r}")


def delete_files_on_commit(*files: Any, using: str | None = None) -> None:
    """Remove stored files once the current transaction commits (at once outside a transaction).

    Takes FieldFiles (`user.avatar`, captured before the field changes: the name is read now), storage names
    (default storage), `(storage, name)` pairs, or iterables of those; empty values are skipped.
    """
    targets = list(dict.fromkeys(_names(files)))
    if targets:
        transaction.on_commit(lambda: _delete_now(targets), using=using)


def release_files_on_commit(*files: Any, using: str = DEFAULT_DB_ALIAS) -> None:
    """Like `delete_files_on_commit`, for files that rows may share (a forwarded message names its original's files):
    call it after the rows that named them are deleted or changed; each file is deleted after the commit unless a row
    of any file field still names it.

    A transaction-scoped advisory lock per name is taken first: two transactions releasing the same shared file
    (both of its messages deleted at once) run their checks one after the other, so the second sees the first's
    deletion and deletes the file. Writers that add a reference to an existing file lock the row they copy it from
    (FOR SHARE), so a release either waits for them or happens before they look.
    """
    targets = list(dict.fromkeys(_names(files)))
    if not targets:
        return
    names = sorted({name for _storage, name in targets})
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(name, 0)) FROM unnest(%s::text[]) AS name ORDER BY name",
            [names],
        )
    referenced: set[str] = set()
    for item in file_fields():
        prefix = item.prefix
        candidates = [name for name in names if prefix is None or name.startswith(prefix + "/")]
        if candidates:
            column = item.field.attname
            rows = item.model._base_manager.using(using).filter(**{f"{column}__in": candidates})
            referenced.update(rows.values_list(column, flat=True))
    delete_files_on_commit([target for target in targets if target[1] not in referenced], using=using)


def _delete_now(targets: list[tuple[Storage, str]]) -> None:
    for storage, name in targets:
        try:
            storage.delete(name)
        except Exception:  # an orphan is better than a failed request: the clean-up command removes it later
            logger.exception("could not delete stored file %s", name)


def collect_file_names(*objs: models.Model | models.QuerySet, using: str | None = None) -> list[tuple[Storage, str]]:
    """The stored files of the given rows and of every row their deletion would cascade to."""
    collector = _collector(objs, using)
    return _collected_files(collector)


def delete_with_files(*objs: models.Model | models.QuerySet, using: str | None = None) -> int:
    """Delete rows like `.delete()` does (cascades included) and remove all their stored files after commit.

    Call it inside the service's transaction; returns the number of deleted rows.
    """
    collector = _collector(objs, using)
    targets = _collected_files(collector)
    with transaction.atomic(using=collector.using, savepoint=False):
        deleted, _ = collector.delete()
    delete_files_on_commit(targets, using=collector.using)
    return deleted


def _collector(objs: tuple[Any, ...], using: str | None) -> Collector:
    first = next(iter(objs), None)
    if first is None:
        return Collector(using=using or DEFAULT_DB_ALIAS)
    model = first.model if isinstance(first, models.QuerySet) else type(first)
    using = using or (first.db if isinstance(first, models.QuerySet) else router.db_for_write(model, instance=first))
    collector = Collector(using=using, origin=first)
    for obj in objs:
        collector.collect(obj if isinstance(obj, models.QuerySet) else [obj])
    return collector


def _collected_files(collector: Collector) -> list[tuple[Storage, str]]:
    # Instances the collector loaded may be deferred (only keys): read the file columns with one query per model.
    targets: list[tuple[Storage, str]] = []
    for model, instances in collector.data.items():
        fields = _model_file_fields(model)
        if fields:
            pks = [obj.pk for obj in instances]
            for start in range(0, len(pks), BATCH):
                rows = model._base_manager.using(collector.using).filter(pk__in=pks[start : start + BATCH])
                targets.extend(_row_files(rows, fields))
    for qs in collector.fast_deletes:
        fields = _model_file_fields(qs.model)
        if fields:
            targets.extend(_row_files(qs, fields))
    return list(dict.fromkeys(targets))


def _row_files(rows: models.QuerySet, fields: list[models.FileField]) -> Iterator[tuple[Storage, str]]:
    for values in rows.values_list(*(f.attname for f in fields)):
        for field, name in zip(fields, values, strict=True):
            if name:
                yield field.storage, name


@dataclass(frozen=True)
class Orphan:
    storage: Storage
    name: str
    modified: datetime

    def delete(self) -> None:
        self.storage.delete(self.name)


def find_orphans(*, older_than: datetime) -> tuple[list[Orphan], list[str]]:
    """Stored files under the known prefixes that no row references, modified before `older_than`.

    Returns the orphans and warnings about fields whose files cannot be told apart (no fixed prefix).
    """
    by_location: dict[tuple[int, str], list[StoredFileField]] = defaultdict(list)
    storages: dict[int, Storage] = {}
    warnings = []
    for item in file_fields():
        prefix = item.prefix
        if prefix is None:
            warnings.append(f"{item}: upload_to has no fixed prefix, its files are not checked")
            continue
        storages[id(item.storage)] = item.storage
        by_location[(id(item.storage), prefix)].append(item)
    # A prefix nested in another one ("avatars" and "avatars/chats") is listed once, under the longest prefix, and
    # checked against the fields of both.
    orphans: list[Orphan] = []
    for storage_id, prefix in sorted(by_location, key=lambda key: key[1]):
        related = [
            field
            for (other_id, other_prefix), fields in by_location.items()
            if other_id == storage_id and (prefix + "/").startswith(other_prefix + "/")
            for field in fields
        ]
        storage = storages[storage_id]
        nested = [p for (sid, p) in by_location if sid == storage_id and p != prefix and p.startswith(prefix + "/")]
        candidates = (
            (name, modified)
            for name, modified in iter_stored(storage, prefix)
            if modified < older_than and not any(name.startswith(p + "/") for p in nested)
        )
        orphans.extend(_unreferenced(storage, candidates, related))
    return orphans, warnings


def _unreferenced(
    storage: Storage, candidates: Iterator[tuple[str, datetime]], items: list[StoredFileField]
) -> Iterator[Orphan]:
    batch: list[tuple[str, datetime]] = []

    def flush() -> Iterator[Orphan]:
        names = [name for name, _ in batch]
        referenced: set[str] = set()
        for item in items:
            referenced.update(
                item.model._base_manager.filter(**{f"{item.field.attname}__in": names}).values_list(
                    item.field.attname, flat=True
                )
            )
        for name, modified in batch:
            if name not in referenced:
                yield Orphan(storage, name, modified)
        batch.clear()

    for candidate in candidates:
        batch.append(candidate)
        if len(batch) >= BATCH:
            yield from flush()
    if batch:
        yield from flush()
