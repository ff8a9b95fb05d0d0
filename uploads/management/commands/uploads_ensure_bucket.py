"""Create the media bucket when it is missing (run at startup: idempotent, cheap when the bucket exists)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from uploads.buckets import BucketError, ensure_bucket
from uploads.storage import is_s3


class Command(BaseCommand):
    help = (
        "Create the S3 bucket of the default storage when it is missing, and give it a public-read policy when "
        "S3_PUBLIC_READ is on. With local storage, create MEDIA_ROOT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait", type=float, default=0, metavar="SECONDS", help="retry this long while the endpoint is down"
        )

    def handle(self, *args: Any, wait: float, **options: Any) -> None:
        if not is_s3(default_storage):
            settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
            self.stdout.write(f"local storage: {settings.MEDIA_ROOT} is ready")
            return
        try:
            report = ensure_bucket(default_storage, public_read=settings.S3_PUBLIC_READ, wait=wait)
        except BucketError as exc:
            raise CommandError(str(exc)) from exc
        for line in report:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"bucket {default_storage.bucket_name} is ready"))
