"""The API reference page is served from the package (no CDN) under a strict script policy."""

from typing import Any


def test_api_docs_load_swagger_ui_from_the_package(app_client: Any) -> None:
    page = app_client.get("/api/v1/docs")
    assert page.status_code == 200
    assert 'src="/static/vendor/swagger-ui-bundle.js"' in page.text
    assert 'data-openapi-url="/api/v1/openapi.json"' in page.text
    assert "cdn" not in page.text.lower() and "<script>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset in (
        "/static/vendor/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui.css",
        "/static/swagger-init.js",
    ):
        assert app_client.get(asset).status_code == 200, asset
    assert app_client.get("/static/../pages.py").status_code == 404
