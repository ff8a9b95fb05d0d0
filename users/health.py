"""GET /api/health/db/: an authenticated health check that also serves as the benchmarks' floor.

It does the least an API request can do in this stack: authenticate the bearer token (the one query that loads
the user joined to its session) and run one indexed query (the caller's live sessions, on
`authsession_user_expiry_idx`). Every other benchmark scenario is reported as a ratio to this one.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.db import DatabaseError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.schema import ERROR_RESPONSES
from application.shapes import Choice, Integer, RenderContext, Shape
from users.models import AuthSession


class DatabaseHealthShape(Shape):
    schema_name = "DatabaseHealth"

    status = Choice(["ok"])
    sessions = Integer(help_text="The caller's live sessions")


class DatabaseUnavailableShape(Shape):
    schema_name = "DatabaseUnavailable"

    status = Choice(["unavailable"])
    code = Choice(["database_unavailable"])


class DatabaseHealthView(APIView):
    @extend_schema(
        summary="Health check: authenticate and run one indexed query",
        responses={
            200: DatabaseHealthShape.serializer(),
            503: DatabaseUnavailableShape.serializer(),
            **ERROR_RESPONSES,
        },
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        try:
            sessions = AuthSession.objects.filter(user_id=request.user.pk, expires_at__gt=timezone.now()).count()
        except DatabaseError:
            down = SimpleNamespace(status="unavailable", code="database_unavailable")
            return Response(DatabaseUnavailableShape.render(down, RenderContext()), status=503)
        return Response(DatabaseHealthShape.render(SimpleNamespace(status="ok", sessions=sessions), RenderContext()))
