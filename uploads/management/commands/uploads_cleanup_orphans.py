"""Remove stored files that no row references (left by crashes, rolled-back transactions or failed deletions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from uploads.cleanup import find_orphans


class Command(BaseCommand):
    help = (
        "List the files under the upload prefixes of every FileField and delete those that no row references. "
        "Files modified within --older-than hours are kept: their row may not be committed yet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only list the orphans")
        parser.add_argument(
            "--older-than",
            type=float,
            default=24.0,
            metavar="HOURS",
            help="only files last modified at least this many hours ago (default: 24)",
        )

    def handle(self, *args: Any, dry_run: bool, older_than: float, **options: Any) -> None:
        if older_than < 0:
            self.stderr.write("--older-than must not be negative")
            raise SystemExit(2)
        orphans, warnings = find_orphans(older_than=timezone.now() - timedelta(hours=older_than))
        for warning in warnings:
            self.stderr.write(self.style.WARNING(warning))
        deleted = failed = 0
        for orphan in orphans:
            if dry_run:
                self.stdout.write(f"orphan {orphan.name} ({orphan.modified:%Y-%m-%d %H:%M:%S})")
                continue
            try:
                orphan.delete()
            except Exception as exc:
                failed += 1
                self.stderr.write(self.style.ERROR(f"could not delete {orphan.name}: {exc}"))
            else:
                deleted += 1
                self.stdout.write(f"deleted {orphan.name}")
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{len(orphans)} orphan(s) found, none deleted (dry run)"))
        else:
            self.stdout.write(self.style.SUCCESS(f"{deleted} orphan(s) deleted, {failed} failed"))
        if failed:
            raise SystemExit(1)
