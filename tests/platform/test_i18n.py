"""English / Simplified Chinese: the language switch, Accept-Language, bilingual names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

import mederp

pytestmark = pytest.mark.django_db

CATALOGUE = Path(mederp.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def _html_lang(response: Any) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no lang attribute on <html>"
    return match.group(1)


@pytest.fixture
def signed_in(client: Client, site_a: Any, make_user: Any) -> Client:
    client.force_login(make_user("quality_manager", site_a))
    return client


def test_default_language_is_english(signed_in: Client) -> None:
    response = signed_in.get("/")
    assert response.status_code == 200
    assert _html_lang(response) == "en"
    html = response.content.decode()
    assert "Quality Manager" in html
    assert "质量经理" not in html
    assert "Site A" in html
    assert response["Content-Language"] == "en"


def test_switch_to_chinese_then_home_is_chinese(signed_in: Client) -> None:
    switch = signed_in.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert switch.status_code == 302
    assert switch["Location"] == "/"
    assert switch.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"

    response = signed_in.get("/")
    assert response.status_code == 200
    assert _html_lang(response) == "zh-Hans"
    assert response["Content-Language"] == "zh-hans"
    html = response.content.decode()
    assert "质量经理" in html  # Role.name_zh
    assert "Quality Manager" not in html
    assert "甲工厂" in html  # Site.name_zh
    # the switcher marks the active language
    assert re.search(r'<option value="zh-hans" lang="zh-hans" selected>', html)

    # and back
    signed_in.post("/i18n/setlang/", {"language": "en", "next": "/"})
    back = signed_in.get("/")
    assert _html_lang(back) == "en"
    assert "Quality Manager" in back.content.decode()


def test_unknown_language_is_ignored(signed_in: Client) -> None:
    signed_in.post("/i18n/setlang/", {"language": "xx-evil", "next": "/"})
    assert _html_lang(signed_in.get("/")) == "en"


@pytest.mark.parametrize("header", ["zh-CN", "zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans", "zh"])
def test_accept_language_chinese_picks_zh_hans(signed_in: Client, header: str) -> None:
    response = signed_in.get("/", headers={"Accept-Language": header})
    assert _html_lang(response) == "zh-Hans"
    assert "质量经理" in response.content.decode()


def test_accept_language_english_and_unsupported_pick_english(signed_in: Client) -> None:
    for header in ("en-US,en;q=0.9", "fr-FR", "de"):
        response = signed_in.get("/", headers={"Accept-Language": header})
        assert _html_lang(response) == "en", header


def test_cookie_beats_accept_language(signed_in: Client) -> None:
    signed_in.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = signed_in.get("/", headers={"Accept-Language": "zh-CN"})
    assert _html_lang(response) == "en"


def test_login_page_in_chinese(client: Client) -> None:
    response = client.get("/accounts/login/", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert _html_lang(response) == "zh-Hans"


def test_site_label_follows_language(site_a: Any) -> None:
    with translation.override("zh-hans"):
        assert site_a.label == "甲工厂"
    with translation.override("en"):
        assert site_a.label == "Site A"


def test_catalogue_translates_the_dashboard(signed_in: Client) -> None:
    if not CATALOGUE.exists():
        pytest.skip(f"{CATALOGUE} is not compiled yet (translations are being written)")
    with translation.override("zh-hans"):
        dashboard = translation.gettext("Dashboard")
    assert dashboard != "Dashboard", "the catalogue has no translation for 'Dashboard'"
    signed_in.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = signed_in.get("/").content.decode()
    assert f"<h1>{dashboard}</h1>" in html
