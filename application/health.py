"""GET /api/health/db/: an authenticated health check that also serves as the benchmarks' floor.

It does the least an API request can do in this stack: authenticate the bearer token (the one query that loads
the user joined to its session) and run one indexed query (the caller's live sessions, on
`authsession_user_expiry_idx`). Every other benchmark scenario is reported as a ratio to this one.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.schema import ERROR_RESPONSES
from users.models import AuthSession


class DatabaseHealthView(APIView):
    @extend_schema(
        summary="Health check: authenticate and run one indexed query",
        responses={
            200: inline_serializer(
                name="DatabaseHealth",
                fields={
                    "status": serializers.CharField(help_text="`ok`"),
                    "sessions": serializers.IntegerField(help_text="The caller's live sessions"),
                },
            ),
            503: inline_serializer(
                name="DatabaseUnavailable",
                fields={"status": serializers.CharField(), "code": serializers.CharField()},
            ),
            **ERROR_RESPONSES,
        },
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        try:
            sessions = AuthSession.objects.filter(user_id=request.user.pk, expires_at__gt=timezone.now()).count()
        except DatabaseError:
            return Response({"status": "unavailable", "code": "database_unavailable"}, status=503)
        return Response({"status": "ok", "sessions": sessions})
