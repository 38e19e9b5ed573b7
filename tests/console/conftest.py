"""Fixtures of the front-end tests: a browser-like client with its own cookies, signed in to the console."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Partner

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleClient:
    """A TestClient with its own cookie jar and the CSRF token of its session."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def sign_in(self, partner: Partner) -> None:
        """Sign in with the partner's admin secret; remembers the session's CSRF token."""
        response = self.client.post(
            "/console/signin", data={"partnerId": str(partner.id), "secret": partner.secret}
        )
        assert response.status_code == 200, response.text
        found = _CSRF.search(response.text)
        assert found is not None
        self.csrf = found.group(1)

    def get(self, path: str, **options: Any) -> Any:
        """GET a page."""
        return self.client.get(path, **options)

    def post(self, path: str, data: dict[str, Any] | None = None, **options: Any) -> Any:
        """POST a form with the session's CSRF token."""
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **options)


@pytest.fixture
def browser(app_client: TestClient) -> ConsoleClient:
    """A fresh browser-like client of the test application."""
    return ConsoleClient(TestClient(app_client.app, raise_server_exceptions=False))


@pytest.fixture
def console(browser: ConsoleClient, partner: Partner) -> ConsoleClient:
    """A browser signed in to the console as the test's partner."""
    browser.sign_in(partner)
    return browser
