"""Profile `status` and private fields; the OpenAPI description of the account endpoints."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from users.models import User

pytestmark = pytest.mark.django_db


class TestStatusAndPrivateFields:
    def test_status_is_editable_and_returned(self, api: APIClient, user: User) -> None:
        response = api.patch(f"/api/user/{user.id}/", {"status": "On vacation 🌴"}, format="json")
        assert response.status_code == 200
        assert response.data["status"] == "On vacation 🌴"
        assert api.get("/api/user/current/").data["status"] == "On vacation 🌴"
        assert api.get(f"/api/user/{user.id}/").data["status"] == "On vacation 🌴"
        assert api.patch(f"/api/user/{user.id}/", {"status": ""}, format="json").data["status"] == ""

    def test_status_too_long_is_400(self, api: APIClient, user: User, settings) -> None:
        too_long = "x" * (settings.CONSTANTS.STATUS_MAX_LENGTH + 1)
        response = api.patch(f"/api/user/{user.id}/", {"status": too_long}, format="json")
        assert response.status_code == 400
        assert "status" in response.data

    def test_register_with_status(self, anon_client: APIClient) -> None:
        body = {"username": "zoe", "password": "Sup3r-secret-pass", "status": "hi", "email": "zoe@example.com"}
        response = anon_client.post("/api/register/", body, format="json")
        assert response.status_code == 201
        assert (response.data["status"], response.data["email"]) == ("hi", "zoe@example.com")

    def test_only_the_user_sees_their_email_and_status(self, client_for, make_user) -> None:
        me = make_user(email="me@example.com", status="busy")
        other = make_user(email="other@example.com", status="away")
        api = client_for(me)
        for response in (
            api.get("/api/user/current/"),
            api.get(f"/api/user/{me.id}/"),
            api.patch(f"/api/user/{me.id}/", {"bio": "x"}, format="json"),
        ):
            assert response.status_code == 200
            assert (response.data["email"], response.data["status"]) == ("me@example.com", "busy")
        theirs = api.get(f"/api/user/{other.id}/").data
        assert "email" not in theirs and "status" not in theirs
        listed = api.get("/api/users/", {"search": other.username}).data["results"]
        assert listed and all("email" not in row for row in listed)


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


class TestSchema:
    @pytest.mark.parametrize(
        ("path", "method", "statuses"),
        [
            ("/api/auth/", "post", {"200", "400", "401"}),
            ("/api/auth/cookie/", "post", {"200", "400", "401"}),
            ("/api/auth/cookie/refresh/", "post", {"200", "401", "403"}),
            ("/api/auth/logout/", "post", {"204", "401", "403"}),
            ("/api/auth/yandex/", "get", {"200", "503"}),
            ("/api/auth/yandex/login/", "post", {"200", "201", "400", "401", "409", "502", "503"}),
            ("/api/auth/yandex/link/", "post", {"200", "400", "401", "409", "502", "503"}),
            ("/api/gateway/verify/", "get", {"200", "401"}),
        ],
    )
    def test_account_endpoints_are_documented(self, schema: dict, path: str, method: str, statuses: set) -> None:
        operation = schema["paths"][path][method]
        assert statuses <= set(operation["responses"])
        assert operation["summary"]

    def test_login_documents_username_or_email(self, schema: dict) -> None:
        body = schema["paths"]["/api/auth/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        name = body["$ref"].rsplit("/", 1)[1]
        assert {"username", "email", "password"} <= set(schema["components"]["schemas"][name]["properties"])

    def test_both_ways_of_sending_the_access_token_are_described(self, schema: dict) -> None:
        assert {"jwtAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
        assert {"jwtAuth": []} in schema["paths"]["/api/user/current/"]["get"]["security"]
        assert {"cookieAuth": []} in schema["paths"]["/api/user/current/"]["get"]["security"]
