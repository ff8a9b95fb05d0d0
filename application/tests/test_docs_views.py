"""The schema and its viewers answer OPTIONS with what they allow, and nothing else (DRF's description of the view
went through the viewers' HTML template: a 500)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize("path", ["/api/schema/", "/api/schema/swagger/", "/api/schema/redoc/"])
def test_options_is_an_empty_200_with_allow(client: Client, path: str) -> None:
    response = client.options(path)
    assert (response.status_code, response.content) == (200, b"")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", ["/api/schema/swagger/", "/api/schema/redoc/"])
@pytest.mark.parametrize("accept", ["*/*", "application/json"])
def test_errors_of_the_viewers_are_in_the_api_shape(client: Client, path: str, accept: str) -> None:
    """The viewers render HTML; their errors are the API's JSON like any other, with nothing added."""
    response = client.post(path, HTTP_ACCEPT=accept)
    assert response.status_code in (405, 406)
    assert set(response.json()) == {"detail", "code"}
    assert response["Allow"] == "GET, HEAD, OPTIONS"
