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
