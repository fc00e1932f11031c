"""Request context: request id, client address behind proxies, log lines and audit entries."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client, override_settings
from django.urls import include, path

from mederp.audit.models import AuditEntry
from mederp.core import context
from mederp.core.logging import json_formatter
from mederp.core.netaddr import client_ip, is_trusted, parse_networks
from mederp.testing.users import PASSWORD

HEX32 = re.compile(r"^[0-9a-f]{32}$")
PROXY = "10.1.2.3"  # inside the trusted network used by these tests
TRUSTED = ["10.0.0.0/8", "fd00::/8"]


# --- test-only views, mounted next to the real URLconf ----------------------------------------
def _context_view(request: HttpRequest) -> JsonResponse:
    ctx = context.current()
    return JsonResponse(
        {
            "request_id": ctx.request_id,
            "ip": ctx.ip,
            "request_ip": getattr(request, "client_ip", None),
            "user_agent": ctx.user_agent,
            "channel": ctx.channel,
            "actor": getattr(ctx.actor, "username", None),
            "site": getattr(ctx.site, "code", None),
        }
    )


def _logging_view(request: HttpRequest) -> HttpResponse:
    structlog.get_logger("mederp.tests").info("structlog_line", marker="structlog")
    logging.getLogger("mederp.tests").info("stdlib line")
    return HttpResponse("logged")


urlpatterns = [
    path("_test/context", _context_view),
    path("api/_test/context", _context_view),
    path("_test/log", _logging_view),
    path("", include("mederp.config.urls")),
]


@pytest.fixture
def test_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()  # allauth rate-limits logins per IP in the cache


# --- request id ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/", "/no/such/page", "/api/v1/me"])
def test_every_response_has_a_fresh_request_id(client: Client, url: str) -> None:
    first = client.get(url)
    second = client.get(url)
    assert HEX32.match(first["X-Request-ID"]), first["X-Request-ID"]
    assert HEX32.match(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_client_sent_request_id_is_ignored_without_trusted_proxy(client: Client) -> None:
    response = client.get(
        "/healthz", headers={"X-Request-ID": "attacker-chosen-id"}, REMOTE_ADDR=PROXY
    )
    assert response["X-Request-ID"] != "attacker-chosen-id"
    assert HEX32.match(response["X-Request-ID"])


@pytest.mark.django_db
def test_request_id_from_untrusted_address_is_ignored(client: Client, settings: Any) -> None:
    settings.MEDERP_TRUSTED_PROXIES = TRUSTED
    response = client.get(
        "/healthz", headers={"X-Request-ID": "attacker-chosen-id"}, REMOTE_ADDR="203.0.113.9"
    )
    assert response["X-Request-ID"] != "attacker-chosen-id"
    assert HEX32.match(response["X-Request-ID"])


@pytest.mark.django_db
def test_request_id_from_trusted_proxy_is_kept(client: Client, settings: Any) -> None:
    settings.MEDERP_TRUSTED_PROXIES = TRUSTED
    response = client.get(
        "/healthz", headers={"X-Request-ID": "nginx-0123456789abcdef"}, REMOTE_ADDR=PROXY
    )
    assert response["X-Request-ID"] == "nginx-0123456789abcdef"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad", ["short", "has spaces in it", "x" * 65, "new\nline-injected", "semi;colon;id"]
)
def test_malformed_request_id_from_trusted_proxy_is_replaced(
    client: Client, settings: Any, bad: str
) -> None:
    settings.MEDERP_TRUSTED_PROXIES = TRUSTED
    response = client.get("/healthz", headers={"X-Request-ID": bad}, REMOTE_ADDR=PROXY)
    assert HEX32.match(response["X-Request-ID"])


@pytest.mark.django_db
def test_trusted_proxy_setting_is_read_per_request() -> None:
    """A middleware instance built before the setting changed must see the new value."""
    client = Client()
    with override_settings(MEDERP_TRUSTED_PROXIES=[]):
        before = client.get("/healthz", headers={"X-Request-ID": "nginx-0001"}, REMOTE_ADDR=PROXY)
    with override_settings(MEDERP_TRUSTED_PROXIES=TRUSTED):
        after = client.get("/healthz", headers={"X-Request-ID": "nginx-0002"}, REMOTE_ADDR=PROXY)
    with override_settings(MEDERP_TRUSTED_PROXIES=[]):
        again = client.get("/healthz", headers={"X-Request-ID": "nginx-0003"}, REMOTE_ADDR=PROXY)
    assert before["X-Request-ID"] != "nginx-0001"
    assert after["X-Request-ID"] == "nginx-0002"
    assert again["X-Request-ID"] != "nginx-0003"


# --- client address --------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.usefixtures("test_urls")
@pytest.mark.parametrize(
    ("trusted", "remote", "xff", "expected"),
    [
        # no trusted proxies: the header is never believed
        ([], PROXY, "198.51.100.1", PROXY),
        # a client talking to us directly cannot choose its address
        (TRUSTED, "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # through our proxy: the hop the proxy saw wins, forged entries to its left do not
        (TRUSTED, PROXY, "198.51.100.66, 203.0.113.5", "203.0.113.5"),
        # several trusted hops are skipped
        (TRUSTED, PROXY, "198.51.100.66, 203.0.113.5, 10.9.9.9", "203.0.113.5"),
        # malformed header from the proxy: believe none of it
        (TRUSTED, PROXY, "203.0.113.5, not-an-ip", PROXY),
        (TRUSTED, PROXY, None, PROXY),
    ],
)
def test_client_ip_respects_trusted_proxies(
    client: Client,
    settings: Any,
    trusted: list[str],
    remote: str,
    xff: str | None,
    expected: str,
) -> None:
    settings.MEDERP_TRUSTED_PROXIES = trusted
    headers = {"X-Forwarded-For": xff} if xff is not None else {}
    data = client.get("/_test/context", headers=headers, REMOTE_ADDR=remote).json()
    assert data["ip"] == expected
    assert data["request_ip"] == expected


@pytest.mark.django_db
@pytest.mark.usefixtures("test_urls")
def test_context_carries_user_agent_channel_actor_and_site(
    client: Client, site_a: Any, make_user: Any
) -> None:
    user = make_user("sales", site_a)
    client.force_login(user)
    response = client.get("/_test/context", headers={"User-Agent": "Agent/" + "x" * 600})
    data = response.json()
    assert data["request_id"] == response["X-Request-ID"]
    assert data["channel"] == "web"
    assert data["user_agent"].startswith("Agent/")
    assert len(data["user_agent"]) == 512
    assert data["actor"] == user.username
    assert data["site"] == site_a.code
    assert client.get("/api/_test/context").json()["channel"] == "api"
    # outside a request the context is gone again
    assert context.current().actor is None


@pytest.mark.parametrize(
    ("remote", "xff", "trusted", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", [], "203.0.113.9"),
        ("10.0.0.1", None, ["10.0.0.0/8"], "10.0.0.1"),
        ("10.0.0.1", "", ["10.0.0.0/8"], "10.0.0.1"),
        ("10.0.0.1", " , ,", ["10.0.0.0/8"], "10.0.0.1"),
        ("203.0.113.9", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.9"),
        ("10.0.0.1", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.1", " 1.1.1.1 ,198.51.100.1 , 10.0.0.7", ["10.0.0.0/8"], "198.51.100.1"),
        # every hop trusted: the leftmost is the origin
        ("10.0.0.1", "10.0.0.9, 10.0.0.8", ["10.0.0.0/8"], "10.0.0.9"),
        # forged garbage left of the real client is never looked at
        ("10.0.0.1", "<script>, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        # malformed hops where we would have to believe them: fall back to the peer
        ("10.0.0.1", "198.51.100.1, garbage", ["10.0.0.0/8"], "10.0.0.1"),
        ("10.0.0.1", "198.51.100.1:4711", ["10.0.0.0/8"], "10.0.0.1"),
        ("10.0.0.1", "unknown", ["10.0.0.0/8"], "10.0.0.1"),
        ("10.0.0.1", "999.1.1.1", ["10.0.0.0/8"], "10.0.0.1"),
        # IPv6
        ("fd00::1", "2001:db8::1", ["fd00::/8"], "2001:db8::1"),
        ("fd00::1", "2001:db8::1, fd00::2", ["fd00::/8"], "2001:db8::1"),
        ("2001:db8::5", "198.51.100.1", ["fd00::/8"], "2001:db8::5"),
        # a peer we cannot parse is never trusted
        ("not-an-ip", "198.51.100.1", ["0.0.0.0/0"], "not-an-ip"),
        (None, "198.51.100.1", ["0.0.0.0/0"], ""),
        (" 10.0.0.1 ", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
    ],
)
def test_client_ip_unit(
    remote: str | None, xff: str | None, trusted: list[str], expected: str
) -> None:
    assert client_ip(remote, xff, parse_networks(trusted)) == expected


def test_parse_networks_and_is_trusted() -> None:
    nets = parse_networks([" 10.0.0.1/8 ", "", "192.0.2.7", "fd00::/8"])
    assert len(nets) == 3
    assert is_trusted("10.200.0.1", nets)
    assert is_trusted("192.0.2.7", nets)
    assert not is_trusted("192.0.2.8", nets)
    assert is_trusted("fd12::1", nets)
    assert not is_trusted("garbage", nets)
    assert not is_trusted("", nets)
    with pytest.raises(ValueError, match="does not appear"):
        parse_networks(["not-a-network"])


# --- JSON logs -------------------------------------------------------------------------------
class _JsonLines(logging.Handler):
    """Formats each record at emit time, with the project's formatter, like the console does."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(json_formatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_lines() -> Iterator[_JsonLines]:
    handler = _JsonLines()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.mark.django_db
@pytest.mark.usefixtures("test_urls")
def test_log_lines_carry_the_request_id(client: Client, json_lines: _JsonLines) -> None:
    response = client.get("/_test/log")
    rid = response["X-Request-ID"]
    ours = [line for line in json_lines.lines if line.get("logger") == "mederp.tests"]
    assert {line["event"] for line in ours} == {"structlog_line", "stdlib line"}
    for line in ours:
        assert line["request_id"] == rid
        assert line["level"] == "info"
        assert "timestamp" in line
    assert next(x for x in ours if x["event"] == "structlog_line")["marker"] == "structlog"

    # Django's own lines (here: the 404 warning) carry it too
    missing = client.get("/no/such/page")
    django_lines = [x for x in json_lines.lines if x.get("logger") == "django.request"]
    assert django_lines, json_lines.lines
    assert django_lines[-1]["request_id"] == missing["X-Request-ID"]

    # and nothing leaks into lines logged after the request
    logging.getLogger("mederp.tests").info("after the request")
    assert "request_id" not in json_lines.lines[-1]


# --- audit entries written during a request -------------------------------------------------
@pytest.mark.django_db
def test_login_audit_entry_carries_request_id_and_ip(client: Client, make_user: Any) -> None:
    user = make_user("sales")
    response = client.post(
        "/accounts/login/",
        {"login": user.username, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="login").latest("seq")
    assert entry.actor_id == user.pk
    assert entry.request_id == response["X-Request-ID"]
    assert entry.ip == "203.0.113.7"


@pytest.mark.django_db
def test_audit_entry_behind_trusted_proxy(client: Client, settings: Any, make_user: Any) -> None:
    settings.MEDERP_TRUSTED_PROXIES = TRUSTED
    user = make_user("sales")
    response = client.post(
        "/accounts/login/",
        {"login": user.username, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        headers={
            "X-Forwarded-For": "198.51.100.66, 203.0.113.8",
            "X-Request-ID": "nginx-req-000000042",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="login").latest("seq")
    assert response["X-Request-ID"] == "nginx-req-000000042"
    assert entry.request_id == "nginx-req-000000042"
    assert entry.ip == "203.0.113.8"
