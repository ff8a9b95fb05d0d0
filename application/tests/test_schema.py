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
