"""The OpenAPI schema and its two viewers (Swagger UI, Redoc), with an OPTIONS that says only what they allow.

DRF answers OPTIONS with a description of the view in the view's own renderer: the viewers' is an HTML template,
which has nothing to render it with (a 500), and the schema's is YAML. Django's own answer (an empty 200 with
`Allow`) is what a client of these pages needs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request


class _AllowOnly:
    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponse(status=200)  # DRF adds `Allow` (the view's methods) to every answer


class SchemaView(_AllowOnly, SpectacularAPIView):
    pass


class SwaggerView(_AllowOnly, SpectacularSwaggerSplitView):
    pass


class RedocView(_AllowOnly, SpectacularRedocView):
    pass
