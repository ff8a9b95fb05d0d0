"""Shared OpenAPI pieces: the one error shape, documented once and referenced by every endpoint."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(
            help_text="Human-readable message: English, or the user's saved `language` / `?lang=`"
        ),
        "code": serializers.CharField(help_text="Stable machine code, e.g. `not_found`, `invalid`"),
    },
)

_VALIDATION_EXAMPLE = OpenApiExample(
    "Validation error",
    value={"detail": "This field is required.", "code": "invalid", "username": ["This field is required."]},
)

ERROR_RESPONSES = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Invalid input: `detail`, `code` and DRF's per-field lists of messages",
        examples=[_VALIDATION_EXAMPLE],
    ),
    401: OpenApiResponse(ErrorSerializer, description="Missing, invalid, expired or revoked token"),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed for this user"),
    404: OpenApiResponse(ErrorSerializer, description="Unknown or malformed id, or an out-of-range page"),
    413: OpenApiResponse(ErrorSerializer, description="Request body over 10 MB"),
}
