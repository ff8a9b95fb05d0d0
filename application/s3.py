"""The S3 storage configuration built from the `S3_*` settings (no Django imports: settings.py calls it)."""

from __future__ import annotations

from typing import Any

MAX_URL_LIFETIME = 7 * 24 * 60 * 60  # SigV4 presigned URLs are valid for at most 7 days


class StorageConfigError(ValueError):
    pass


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    public_endpoint_url: str = "",
    region: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
    public_read: bool = False,
    url_lifetime: int = 24 * 60 * 60,
    public_url: str = "",
    addressing_style: str = "",
    prefix: str = "",
) -> dict[str, Any]:
    """The `STORAGES["default"]` entry for django-storages' S3 backend (our subclass, `uploads.storage.S3Storage`)."""
    if not 1 <= url_lifetime <= MAX_URL_LIFETIME:
        raise StorageConfigError(f"S3_URL_LIFETIME must be between 1 and {MAX_URL_LIFETIME} seconds")
    endpoint_url = endpoint_url.rstrip("/")
    public_url = public_url.rstrip("/")
    if public_url and not public_read:
        raise StorageConfigError(
            "S3_PUBLIC_URL serves objects without a signature: it needs S3_PUBLIC_READ=on "
            "(for presigned URLs through another host, set S3_PUBLIC_ENDPOINT_URL instead)"
        )
    scheme, _, domain = public_url.partition("://")
    if public_url and not domain:
        raise StorageConfigError("S3_PUBLIC_URL must be an absolute URL such as https://cdn.example.com/media")
    # "path" suits MinIO and any endpoint given by IP or service name; AWS prefers virtual-hosted buckets.
    addressing_style = addressing_style or ("path" if endpoint_url else "virtual")
    if addressing_style not in {"path", "virtual", "auto"}:
        raise StorageConfigError("S3_ADDRESSING_STYLE must be path, virtual or auto")
    return {
        "BACKEND": "uploads.storage.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            # Where browsers reach the endpoint when it differs from the one the backend uses (docker-compose:
            # http://minio:9000 inside, http://localhost:9000 outside). Presigned URLs are signed for that host.
            "public_endpoint_url": public_endpoint_url.rstrip("/") or None,
            "region_name": region or None,
            "access_key": access_key_id or None,
            "secret_key": secret_access_key or None,
            "addressing_style": addressing_style,
            "signature_version": "s3v4",
            # Public-read buckets: plain object URLs (cacheable, never expire); private ones: presigned URLs.
            "querystring_auth": not public_read,
            "querystring_expire": url_lifetime,
            "custom_domain": domain or None,
            "url_protocol": f"{scheme}:" if public_url else "https:",
            "location": prefix.strip("/"),
            # Keys are random and never reused: no existence check (one request less) before writing.
            "file_overwrite": True,
            "default_acl": None,
        },
    }
