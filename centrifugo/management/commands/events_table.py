"""Print the event catalogue as the markdown table of docs/realtime.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from centrifugo.events import catalogue_markdown


class Command(BaseCommand):
    help = "Print the realtime event catalogue as a markdown table (docs/realtime.md)"
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(catalogue_markdown(), ending="")
