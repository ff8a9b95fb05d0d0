from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/schema/swagger/", "/api/schema/redoc/"])
def test_docs_pages_are_public(anon_client, path: str) -> None:
    assert anon_client.get(path).status_code == 200


def test_schema_documents_the_contract_paths(anon_client) -> None:
    response = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/register/", "/api/auth/", "/api/auth/refresh/", "/api/user/current/", "/api/users/"):
        assert path in paths
    register = paths["/api/register/"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(register)
    assert "413" in paths["/api/register/"]["post"]["responses"]


def test_schema_generation_emits_no_warnings(capsys) -> None:
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_free_text_query_parameters_exclude_control_characters(schema: dict) -> None:
    """The middleware refuses control characters in any query parameter (a 400): every text parameter's schema
    says so, so what the schema calls valid is what the server takes."""
    import re

    texts = 0
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                spec = parameter["schema"]
                if parameter["in"] != "query" or spec.get("type") != "string" or "enum" in spec or "format" in spec:
                    continue
                texts += 1
                pattern = re.compile(spec["pattern"])
                assert pattern.search("привет, world") and not pattern.search("a\x01b"), parameter["name"]
    assert texts > 10


def test_search_text_must_hold_more_than_spaces(schema: dict) -> None:
    import re

    (q,) = [p for p in schema["paths"]["/api/messages/search/"]["get"]["parameters"] if p["name"] == "q"]
    assert (q["schema"]["minLength"], q["schema"]["maxLength"]) == (1, 200)
    assert re.search(q["schema"]["pattern"], " поиск ") and not re.search(q["schema"]["pattern"], " \t ")


@pytest.mark.parametrize(
    ("component", "path", "body"),
    [
        ("CredentialsRequest", "/api/auth/", {"password": "pw"}),
        ("CredentialsRequest", "/api/auth/", {"username": "someone", "password": "pw"}),
        ("CredentialsRequest", "/api/auth/", {"email": "someone@example.com", "password": "pw"}),
        ("OAuthCredentialsRequest", "/api/auth/yandex/login/", {}),
        ("OAuthCredentialsRequest", "/api/auth/yandex/login/", {"oauth_token": "t"}),
        ("OAuthCredentialsRequest", "/api/auth/yandex/login/", {"oauth_token": "t", "state": "s"}),
        ("OAuthCredentialsRequest", "/api/auth/yandex/login/", {"code": "c", "state": "s"}),
        ("OAuthCredentialsRequest", "/api/auth/yandex/login/", {"code": "c"}),
        ("OAuthCredentialsRequest", "/api/auth/yandex/login/", {"state": "s"}),
        ("OAuthCredentialsRequest", "/api/auth/yandex/login/", {"oauth_token": "t", "code": "c", "state": "s"}),
    ],
)
def test_what_the_schema_calls_valid_input_is_what_the_server_validates(
    schema: dict, anon_client, settings, component: str, path: str, body: dict
) -> None:
    """Fields that are required together or in the alternative (`input_rules`): a body the schema takes passes
    validation (a wrong password is a 401, a server without YandexID a 404, whatever the state); one it refuses is
    a 400."""
    import jsonschema

    settings.YANDEX_CLIENT_ID = ""
    valid = jsonschema.Draft4Validator(schema["components"]["schemas"][component]).is_valid(body)
    response = anon_client.post(path, body, format="json")
    assert (response.status_code != 400) == valid, (body, response.status_code, response.data)


def test_every_text_of_a_request_body_excludes_nul(schema: dict, anon_client) -> None:
    """DRF's text fields refuse NUL: every request component's texts say so (or say more: a pattern, a format)."""
    import re

    texts = 0
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):
            continue
        for prop, spec in component.get("properties", {}).items():
            for text in (spec, *spec.get("oneOf", []), spec.get("items", {})):
                if text.get("type") == "string" and "pattern" in text:
                    texts += 1
                    assert not re.search(text["pattern"], "a\x00b"), (name, prop)
                elif text.get("type") == "string":
                    assert text.keys() & {"format", "enum", "readOnly"}, (name, prop, text)
    assert texts > 30
    response = anon_client.post("/api/register/", {"username": "nul", "password": "Zq8!mV3#pL", "first_name": "a\x00"})
    assert response.status_code == 400 and "first_name" in response.data


@pytest.mark.parametrize(
    ("password", "valid"), [("Zq8!mV3#pL", True), ("12345678", False), ("Zq8!mV", False), ("", False)]
)
def test_a_new_password_is_described_by_the_validators(schema: dict, anon_client, password: str, valid: bool) -> None:
    """The schema says the validators' minimum length and "not only digits": what it calls valid registers."""
    import jsonschema

    spec = schema["components"]["schemas"]["RegisterRequest"]["properties"]["password"]
    assert jsonschema.Draft4Validator(spec).is_valid(password) == valid
    response = anon_client.post("/api/register/", {"username": "newcomer", "password": password})
    assert (response.status_code == 201) == valid, response.data


def test_a_body_the_input_rules_need_is_required(schema: dict, anon_client, settings) -> None:
    settings.YANDEX_CLIENT_ID = ""
    assert schema["paths"]["/api/auth/yandex/login/"]["post"]["requestBody"]["required"] is True
    assert anon_client.post("/api/auth/yandex/login/").status_code == 400
