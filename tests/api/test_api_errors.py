"""RFC 9457 problem details for every API error, and denials in the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import get_resolver, include, path
from django.utils import translation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import mederp
from mederp.audit.models import AuditEntry
from mederp.identity import services
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role, User
from mederp.ui import views as ui_views

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


# --- test-only endpoints, mounted next to the real URLconf ------------------------------------
class _EchoView(APIView):
    required_permission = None

    def post(self, request: Request) -> Response:
        return Response({"got": request.data})


class _GuardedView(APIView):
    required_permission = "audit.export"

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class _UndeclaredView(APIView):
    """Forgot to declare `required_permission`: must be closed, not open."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class _GrantView(APIView):
    """Calls a service, which authorizes and validates by itself."""

    required_permission = None

    def post(self, request: Request) -> Response:
        target = User.objects.get(pk=request.data["user"])
        role = Role.objects.get(code=request.data["role"])
        services.assign_role(request.user, target, role, None, reason=request.data["reason"])
        return Response({"ok": True}, status=201)


class _DjangoDenyView(APIView):
    required_permission = None

    def get(self, request: Request) -> Response:
        raise PermissionDenied("Frozen period: no changes allowed.")


class _BoomView(APIView):
    required_permission = None

    def get(self, request: Request) -> Response:
        raise RuntimeError("bug")


urlpatterns = [
    path("api/v1/_test/echo", _EchoView.as_view()),
    path("api/v1/_test/guarded", _GuardedView.as_view()),
    path("api/v1/_test/undeclared", _UndeclaredView.as_view()),
    path("api/v1/_test/grant", _GrantView.as_view()),
    path("api/v1/_test/deny", _DjangoDenyView.as_view()),
    path("api/v1/_test/boom", _BoomView.as_view()),
    path("", include("mederp.config.urls")),
]
# the same handlers as mederp.config.urls (checked below)
handler403 = "mederp.ui.views.permission_denied"
handler404 = "mederp.ui.views.page_not_found"
handler500 = "mederp.ui.views.server_error"


@pytest.fixture(autouse=True)
def _test_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def _denials() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="permission_denied").order_by("seq"))


# --- 404, 400, 405, 415 ----------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/api/v1/no-such-thing", "/api/v1/", "/api/nope/deeper"])
def test_unknown_api_path_is_a_problem(client: Client, url: str) -> None:
    body = _assert_problem(client.get(url), 404)
    assert body["type"].endswith("/not_found")
    assert body["instance"] == url


def test_unknown_ui_path_stays_html(client: Client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_malformed_json_is_400(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    response = client.post(
        "/api/v1/_test/echo", '{"name": "unterminated', content_type="application/json"
    )
    body = _assert_problem(response, 400)
    assert body["type"].endswith("/parse_error")
    assert "JSON" in body["detail"]
    ok = client.post("/api/v1/_test/echo", {"name": "x"}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json() == {"got": {"name": "x"}}


def test_unsupported_media_type_is_415(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    response = client.post("/api/v1/_test/echo", "name=x", content_type="text/plain")
    _assert_problem(response, 415)


def test_anonymous_post_is_401_before_parsing(client: Client) -> None:
    response = client.post("/api/v1/_test/echo", "{bad", content_type="application/json")
    _assert_problem(response, 401)


def test_session_post_without_csrf_token_is_refused(make_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    response = client.post("/api/v1/_test/echo", {"a": 1}, content_type="application/json")
    body = _assert_problem(response, 403)
    assert "CSRF" in body["detail"]


# --- 403 and the ledger ----------------------------------------------------------------------
def test_missing_permission_is_403_and_recorded(
    client: Client, site_a: Any, make_user: Any
) -> None:
    user = make_user("sales", site_a)
    client.force_login(user)
    before = {e.seq for e in _denials()}
    response = client.get("/api/v1/_test/guarded")
    body = _assert_problem(response, 403)
    assert body["type"].endswith("/permission_denied")
    assert "audit.export @ SA01" in body["detail"]
    new = [e for e in _denials() if e.seq not in before]
    assert len(new) == 1
    entry = new[0]
    assert entry.actor_id == user.pk
    assert entry.site_code == "SA01"
    assert entry.object_type == "http"
    assert entry.object_id == "GET"
    assert entry.object_repr == "/api/v1/_test/guarded"
    assert "audit.export" in entry.reason
    assert entry.request_id == response["X-Request-ID"]


def test_permission_at_current_site_is_enough(client: Client, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("qa_specialist", site_a))
    assert client.get("/api/v1/_test/guarded").json() == {"ok": True}


def test_permission_at_another_site_is_not_enough(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    user = make_user("qa_specialist", site_a)  # audit.export at SA01 only
    services.assign_role(SYSTEM, user, Role.objects.get(code="sales"), site_b, reason="t")
    client.force_login(user)
    assert client.post("/site/switch", {"site": site_b.pk}).status_code == 302
    response = client.get("/api/v1/_test/guarded")
    assert "audit.export @ SB02" in _assert_problem(response, 403)["detail"]


def test_undeclared_permission_is_closed(client: Client, make_user: Any) -> None:
    client.force_login(make_user("admin", None))
    body = _assert_problem(client.get("/api/v1/_test/undeclared"), 403)
    assert "declares no permission" in body["detail"]
    assert _assert_problem(Client().get("/api/v1/_test/undeclared"), 401)


def test_service_refusal_is_403_recorded_and_nothing_written(
    client: Client, site_a: Any, make_user: Any
) -> None:
    actor = make_user("sales", site_a)
    target = make_user()
    client.force_login(actor)
    before = AuditEntry.objects.count()
    response = client.post(
        "/api/v1/_test/grant",
        {"user": target.pk, "role": "admin", "reason": "please"},
        content_type="application/json",
    )
    body = _assert_problem(response, 403)
    assert "identity.assign_role" in body["detail"]
    assert target.role_assignments.count() == 0
    # only the denial was written; the refused grant left nothing behind
    assert list(AuditEntry.objects.filter(seq__gt=before).values_list("action", flat=True)) == [
        "permission_denied"
    ]


def test_django_permission_denied_keeps_its_message(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    body = _assert_problem(client.get("/api/v1/_test/deny"), 403)
    assert body["detail"] == "Frozen period: no changes allowed."
    assert _denials()[-1].reason == "Frozen period: no changes allowed."


def test_service_validation_error_is_400_with_field_errors(client: Client, make_user: Any) -> None:
    client.force_login(make_user("admin", None))
    target = make_user()
    response = client.post(
        "/api/v1/_test/grant",
        {"user": target.pk, "role": "sales", "reason": "   "},
        content_type="application/json",
    )
    body = _assert_problem(response, 400)
    assert body["type"].endswith("/invalid")
    assert "reason" in body["errors"]
    assert body["errors"]["reason"] == ["A reason is required to grant a role."]


# --- 500 -------------------------------------------------------------------------------------
def test_server_error_is_a_problem_without_internals(make_user: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(make_user())
    response = client.get("/api/v1/_test/boom")
    body = _assert_problem(response, 500)
    assert "bug" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()
    assert body["instance"] == "/api/v1/_test/boom"


def test_project_urlconf_registers_the_error_handlers() -> None:
    resolver = get_resolver("mederp.config.urls")
    assert resolver.resolve_error_handler(403) is ui_views.permission_denied
    assert resolver.resolve_error_handler(404) is ui_views.page_not_found
    assert resolver.resolve_error_handler(500) is ui_views.server_error


# --- language --------------------------------------------------------------------------------
def test_problem_detail_follows_the_language(client: Client) -> None:
    response = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"})
    body = _assert_problem(response, 401)
    assert body["detail"] != "Authentication credentials were not provided."
    catalogue = Path(mederp.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.mo"
    with translation.override("zh-hans"):
        title_zh = translation.gettext("Not signed in")
    if not catalogue.exists() or title_zh == "Not signed in":
        pytest.skip("the zh_Hans catalogue has no translation of the problem titles yet")
    assert body["title"] == title_zh
