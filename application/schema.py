"""Shared OpenAPI pieces: the one error shape, documented once and referenced by every endpoint."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from application.middleware import CONTROL_CLASS

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(
            help_text="Human-readable message: English, or the user's saved `language` / `?lang=`"
        ),
        "code": serializers.CharField(help_text="Stable machine code, e.g. `not_found`, `invalid`"),
        "fields": serializers.DictField(
            required=False,
            help_text="Validation errors of input fields named `detail`, `code` or `fields` (the others are "
            "top-level keys beside `detail` and `code`)",
        ),
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


_PAGES: dict[str, serializers.Serializer] = {}


def paginated(serializer_class: type[serializers.Serializer], name: str) -> serializers.Serializer:
    """The contract's page of `serializer_class` items, for views that paginate by hand (APIView); one component
    per name, however many operations answer it."""
    if name not in _PAGES:
        _PAGES[name] = _page(serializer_class, name)
    return _PAGES[name]


def _page(serializer_class: type[serializers.Serializer], name: str) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(help_text="All items of the list, not just this page"),
            "next": serializers.URLField(allow_null=True, help_text="The following page, null on the last"),
            "previous": serializers.URLField(allow_null=True, help_text="The page before, null on the first"),
            "results": serializer_class(many=True),
        },
    )


def _whole(minimum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": 10**18 - 1}


PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        _whole(1),
        description="Page number (1 first); past the last page: 404 `Invalid page.`. One way of paging per request: "
        "`page` with `limit`/`offset` (or a cursor) is a 400.",
    ),
    OpenApiParameter("page_size", _whole(1), description="Items per page: default 10, larger values count as 100"),
]
LIMIT_OFFSET_PARAMETERS = [
    OpenApiParameter("limit", _whole(1), description="Instead of pages: at most this many items (up to 100)"),
    OpenApiParameter("offset", _whole(0), description="Instead of pages: skip this many items"),
]

# ------------------------------------------------------------------------------------------------------------------
# Facts that hold for every operation, written into each one by a postprocessing hook (SPECTACULAR_SETTINGS).
# ------------------------------------------------------------------------------------------------------------------
LANGUAGE_PARAMETER = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["en", "ru"]},
    "description": "The language of messages in this response. Without it: the user's saved `language`, or "
    "English; never the Accept-Language header. Another value is a 400.",
}
_EVERY_OPERATION = {
    "400": "Invalid query parameters (e.g. `lang`, control characters) or input",
    "406": "The Accept header allows no JSON",
    "414": "The URL is too long (nginx)",
    "431": "The request headers are too large (nginx)",
    "429": "Throttled (production): `Retry-After` tells when to try again",
    "503": "The database is unreachable for a moment: `Retry-After` tells when to try again",
}
_WITH_BODY = {
    "413": "Request body over 10 MB",
    "415": "A Content-Type the operation does not take",
}


# A query parameter's text: no control character (the middleware refuses them, in any parameter) ...
QUERY_TEXT = f"^[^{CONTROL_CLASS}]*$"
# ... and, for a search, something besides white space.
QUERY_WORDS = f"^[^{CONTROL_CLASS}]*[^{CONTROL_CLASS}\\s][^{CONTROL_CLASS}]*$"


def _text_parameter(parameter: dict[str, Any]) -> None:
    """A free-text query parameter gets QUERY_TEXT as its pattern (one with its own pattern, format or choices
    already says more)."""
    schema = parameter.get("schema", {})
    if (
        parameter.get("in") == "query"
        and schema.get("type") == "string"
        and not schema.keys() & {"pattern", "format", "enum"}
    ):
        schema["pattern"] = QUERY_TEXT


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def every_operation(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Write into every operation what the middleware and settings do for all of them: the `lang` parameter, no
    control characters in query parameters, and the errors any request may get (operations keep their own, more
    precise descriptions)."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "patch", "delete", "head", "options", "trace"}:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "lang" and p.get("in") == "query" for p in parameters):
                parameters.append(LANGUAGE_PARAMETER)
            for parameter in parameters:
                _text_parameter(parameter)
            responses = operation.setdefault("responses", {})
            extra = {**_EVERY_OPERATION, **(_WITH_BODY if "requestBody" in operation else {})}
            for status, description in extra.items():
                responses.setdefault(status, {"description": description} if method == "head" else _error(description))
    return result


# What a serializer's input needs beyond its fields one by one (one field of several, fields that go together),
# as JSON Schema keywords on its request component: declared by the serializer (`input_rules`), written by a hook.
INPUT_RULES: dict[str, dict[str, Any]] = {}


def input_rules(**keywords: Any) -> Any:
    """Class decorator for an input serializer: JSON Schema `keywords` (`anyOf`, `oneOf`, `not`) its request
    component gets, saying what its `validate()` requires of the fields together."""

    def declare(serializer: type[serializers.Serializer]) -> type[serializers.Serializer]:
        INPUT_RULES[serializer.__name__.removesuffix("Serializer") + "Request"] = keywords
        return serializer

    return declare


# DRF's text fields refuse NUL (a 400 "Null characters are not allowed."): a request's text has none.
NO_NUL = "^[^\\x00]*$"


def _without_nul(schema: Any) -> None:
    """Every text of a request schema, nested ones too, without a pattern, format or choices of its own: NO_NUL."""
    if isinstance(schema, list):
        for item in schema:
            _without_nul(item)
    elif isinstance(schema, dict):
        if schema.get("type") == "string" and not schema.keys() & {"pattern", "format", "enum", "readOnly"}:
            schema["pattern"] = NO_NUL
        for value in schema.values():
            _without_nul(value)


def request_components(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """What DRF checks of every request body, written into the request components (drf-spectacular names them
    `<Name>Request`): no NUL in texts, and each serializer's INPUT_RULES (such a body is required: `{}` is not
    enough)."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _without_nul(schema.get("properties", {}))
    for name, keywords in INPUT_RULES.items():
        if name in schemas:
            schemas[name].update(keywords)
    ruled = {f"#/components/schemas/{name}" for name in INPUT_RULES}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body and any(media.get("schema", {}).get("$ref") in ruled for media in body["content"].values()):
                body["required"] = True
    return result


# drf-spectacular leaves HEAD out of the schema (it is GET's, without the body); an operation that is HEAD alone
# (the contract's `HEAD /api/user/online/`) is declared here by its view's module and written in by a hook.
HEAD_ONLY: dict[str, dict[str, Any]] = {}


def head_only(path: str, *, operation_id: str, summary: str, tag: str, responses: dict[str, str]) -> None:
    """Declare `HEAD path` for the schema (authenticated, like every operation but the sign-in ones)."""
    HEAD_ONLY[path] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "security": [{"jwtAuth": []}, {"cookieAuth": []}],
        # A HEAD answer has no body, errors included.
        "responses": {status: {"description": text} for status, text in responses.items()},
    }


def head_only_operations(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Write the HEAD-only operations into the schema (before `every_operation` adds what all operations share)."""
    paths = result.setdefault("paths", {})
    for path, operation in HEAD_ONLY.items():
        paths.setdefault(path, {})["head"] = dict(operation)
    return result
