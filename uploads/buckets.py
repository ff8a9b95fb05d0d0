"""Bucket provisioning for `manage.py uploads_ensure_bucket` (AWS S3, MinIO, Yandex Object Storage)."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

PUBLIC_READ_SID = "MessengerPublicRead"


class BucketError(Exception):
    pass


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def public_read_policy(bucket: str, location: str = "") -> dict[str, Any]:
    """Anyone may GET objects (not list the bucket): object keys are unguessable, so URLs are the capability."""
    resource = f"arn:aws:s3:::{bucket}/{location.strip('/') + '/' if location else ''}*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": PUBLIC_READ_SID,
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject"],
                "Resource": [resource],
            }
        ],
    }


def _bucket_exists(client: Any, bucket: str, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            client.head_bucket(Bucket=bucket)
            return True
        except ClientError as exc:
            if _code(exc) in {"404", "NoSuchBucket", "NotFound"}:
                return False
            if _code(exc) in {"403", "AccessDenied", "Forbidden"}:
                raise BucketError(f"bucket {bucket} exists but these credentials may not use it") from exc
            raise BucketError(f"cannot check bucket {bucket}: {exc}") from exc
        except (EndpointConnectionError, BotoCoreError) as exc:
            if time.monotonic() >= deadline:
                raise BucketError(f"cannot reach the S3 endpoint: {exc}") from exc
            time.sleep(1)


def ensure_bucket(storage: Any, *, public_read: bool, wait: float = 0) -> list[str]:
    """Create the storage's bucket when missing; with `public_read`, make its objects readable by anyone.

    `wait`: seconds to keep retrying while the endpoint does not answer (a server starting beside the app).
    Returns what was done, line by line.
    """
    client = storage.connection.meta.client
    bucket = storage.bucket_name
    report = []
    if _bucket_exists(client, bucket, wait):
        report.append(f"bucket {bucket} exists")
    else:
        params: dict[str, Any] = {"Bucket": bucket}
        region = storage.region_name
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.create_bucket(**params)
            report.append(f"bucket {bucket} created")
        except ClientError as exc:
            if _code(exc) not in {"BucketAlreadyOwnedByYou"}:
                raise BucketError(f"cannot create bucket {bucket}: {exc}") from exc
            report.append(f"bucket {bucket} exists")
    if public_read:
        # AWS blocks public policies on new buckets by default; other servers may not know this call.
        with contextlib.suppress(ClientError, BotoCoreError):
            client.delete_public_access_block(Bucket=bucket)
        try:
            client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket, storage.location)))
        except ClientError as exc:
            raise BucketError(f"cannot make bucket {bucket} public-read: {exc}") from exc
        report.append(f"bucket {bucket}: objects are public-read")
    elif _has_public_policy(client, bucket):
        report.append(
            f"warning: bucket {bucket} still has the public-read policy although S3_PUBLIC_READ is off; "
            "remove it to make objects private"
        )
    return report


def _has_public_policy(client: Any, bucket: str) -> bool:
    try:
        policy = json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    except (ClientError, BotoCoreError, KeyError, ValueError):
        return False
    return any(statement.get("Sid") == PUBLIC_READ_SID for statement in policy.get("Statement", []))
