"""A real S3-compatible server for the storage tests: moto's standalone server on a free loopback port.

moto checks bucket policies for anonymous requests like S3 does, but it does not check presigned URLs at all (an
expired or forged one still works). `PresignedUrlGate` wraps moto's WSGI app and does what AWS S3, MinIO and Yandex
Object Storage do for query-string-signed requests: recompute the SigV4 signature for the host and path the
browser used, and refuse it once X-Amz-Date + X-Amz-Expires has passed (403 AccessDenied).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

import boto3
import pytest
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from application.s3 import s3_storage

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "ru-central1"


def _s3_error(start_response: Callable, code: str, message: str) -> list[bytes]:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    start_response("403 Forbidden", [("Content-Type", "application/xml")])
    return [body.encode()]


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


class PresignedUrlGate:
    def __init__(self, app: Callable, secrets: dict[str, str]) -> None:
        self.app = app
        self.secrets = secrets

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
        raw_path, _, raw_query = raw_uri.partition("?")
        query = parse_qsl(raw_query, keep_blank_values=True)
        params = dict(query)
        if "X-Amz-Signature" not in params:
            return self.app(environ, start_response)
        try:
            signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expires = int(params["X-Amz-Expires"])
            key_id, scope = params["X-Amz-Credential"].split("/", 1)
            secret = self.secrets[key_id]
        except (KeyError, ValueError):
            return _s3_error(start_response, "AuthorizationQueryParametersError", "Malformed presigned URL")
        if datetime.now(UTC) > signed_at + timedelta(seconds=expires):
            return _s3_error(start_response, "AccessDenied", "Request has expired")
        canonical_query = "&".join(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query) if k != "X-Amz-Signature"
        )
        signed_headers = params["X-Amz-SignedHeaders"]
        headers = {"host": environ.get("HTTP_HOST", "")}
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers.split(";"))
        method = environ["REQUEST_METHOD"]
        canonical_request = "\n".join(
            [method, raw_path, canonical_query, canonical_headers, signed_headers, "UNSIGNED-PAYLOAD"]
        )
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                params["X-Amz-Date"],
                scope,
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            ]
        )
        key = ("AWS4" + secret).encode()
        for part in scope.split("/"):
            key = _hmac(key, part)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, params["X-Amz-Signature"]):
            return _s3_error(start_response, "SignatureDoesNotMatch", "The request signature does not match")
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """`http://127.0.0.1:<port>` of a moto S3 server (with the presigned-URL gate) for the whole session."""
    app = PresignedUrlGate(DomainDispatcherApplication(create_backend_app), {ACCESS_KEY: SECRET_KEY})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: Any

    def keys(self) -> list[str]:
        response = self.client.list_objects_v2(Bucket=self.name)
        return sorted(obj["Key"] for obj in response.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def head(self, key: str) -> dict[str, Any]:
        return self.client.head_object(Bucket=self.name, Key=key)

    def put(self, key: str, body: bytes = b"x") -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body)


@pytest.fixture
def use_s3(settings: Any, s3_endpoint: str) -> Callable[..., Bucket]:
    """Point the default storage at a fresh bucket of the test server, as `S3_*` environment variables would.

    `use_s3(public_read=..., lifetime=..., create=..., public_endpoint_url=..., public_url=lambda bucket: ...)`.
    """

    def configure(
        *,
        public_read: bool = False,
        lifetime: int = 3600,
        create: bool = True,
        public_endpoint_url: str | None = None,
        public_url: Callable[[str], str] | None = None,
    ) -> Bucket:
        name = f"media-{uuid.uuid4().hex[:12]}"
        client = s3_client(s3_endpoint)
        if create:
            client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        settings.S3_BUCKET = name
        settings.S3_PUBLIC_READ = public_read
        settings.S3_URL_LIFETIME = lifetime
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage(
                bucket=name,
                endpoint_url=s3_endpoint,
                public_endpoint_url=public_endpoint_url or "",
                region=REGION,
                access_key_id=ACCESS_KEY,
                secret_access_key=SECRET_KEY,
                public_read=public_read,
                url_lifetime=lifetime,
                public_url=public_url(name) if public_url else "",
            ),
        }
        return Bucket(name, s3_endpoint, client)

    return configure
