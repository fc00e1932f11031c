"""OpenAPI schema at /api/schema/ and the Swagger UI at /api/docs/, served from local assets."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, make_user: Any) -> Client:
    client.force_login(make_user())
    return client


def _check_schema(schema: dict[str, Any]) -> None:
    assert str(schema["openapi"]).startswith("3.")
    assert schema["info"]["title"] == "mederp API"
    me = schema["paths"]["/api/v1/me"]
    assert set(me) == {"get"}
    assert me["get"]["operationId"] == "me_retrieve"
    assert "200" in me["get"]["responses"]
    # the documented cookie is the one the server really sets
    session = schema["components"]["securitySchemes"]["session"]
    assert session == {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


def test_schema_as_yaml(signed_in: Client) -> None:
    response = signed_in.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert "json" not in response["Content-Type"]
    _check_schema(yaml.safe_load(response.content))


def test_schema_as_json(signed_in: Client) -> None:
    response = signed_in.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    _check_schema(json.loads(response.content))


def test_schema_lists_no_test_or_docs_endpoints(signed_in: Client) -> None:
    schema = yaml.safe_load(signed_in.get("/api/schema/").content)
    assert all(p.startswith("/api/v1/") for p in schema["paths"]), list(schema["paths"])


def _tags(html: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*>", html, flags=re.IGNORECASE)


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def test_docs_page_uses_only_local_assets(signed_in: Client) -> None:
    response = signed_in.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "http://" not in html
    assert "https://" not in html

    scripts, styles = _tags(html, "script"), _tags(html, "link")
    assert len(scripts) == 3
    urls = [_attr(t, "src") for t in scripts] + [_attr(t, "href") for t in styles]
    for url in urls:
        assert url, f"script without src (the CSP refuses inline scripts): {scripts}"
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
    assert "<style" not in html  # the CSP refuses inline styles

    static = [u for u in urls if u and u.startswith(settings.STATIC_URL)]
    assert len(static) == 5  # bundle, preset, two stylesheets, icon
    for url in static:
        assert finders.find(url[len(settings.STATIC_URL) :]), f"{url} is not a local static file"


def test_docs_init_script_is_local_and_calls_no_validator(signed_in: Client) -> None:
    html = signed_in.get("/api/docs/").content.decode()
    init = next(
        _attr(t, "src") for t in _tags(html, "script") if "script=" in (_attr(t, "src") or "")
    )
    assert init is not None
    response = signed_in.get(init.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    js = response.content.decode()
    assert '"/api/schema/"' in js
    assert '"validatorUrl": null' in js  # Swagger UI would ask validator.swagger.io otherwise
    assert "http://" not in js
    assert "https://" not in js
