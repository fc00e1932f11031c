"""The Simplified Chinese catalogue is complete: every message translated, none fuzzy,
placeholders and markup kept.

The committed django.po is the source of truth (the .mo is built at install by
`mederp compile_translations`). Without GNU gettext these tests read the .po alone, plus the
strings the code registers at import (permission descriptions, ledger actions, model names).
With xgettext available, the sources are also re-extracted into a scratch copy merged with the
committed catalogue: a string in the code that the catalogue lacks fails the test.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.functional import Promise

import mederp

PACKAGE = Path(mederp.__file__).parent
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge")

# printf-style (named and positional, not %%), str.format fields and Django template variables
PLACEHOLDER = re.compile(
    r"%%|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%(?!%)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|\{\{\s*[\w.|:\"']+\s*\}\}"
    r"|\{\w*(?:![rsa])?(?::[^{}]*)?\}"
)
TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


@cache
def committed() -> Catalog:
    return read_catalogue(PO)


def entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def msgid_text(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def strings(message: Message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, tuple | list) else [value or ""]


def problems(catalog: Catalog) -> list[str]:
    """One line per message that is untranslated (in any plural form) or fuzzy."""
    found = []
    for message in entries(catalog):
        if message.fuzzy:
            found.append(f"fuzzy: {msgid_text(message)!r}")
        elif not all(s.strip() for s in strings(message)):
            found.append(f"untranslated: {msgid_text(message)!r}")
    return found


def placeholders(text: str) -> Counter[str]:
    return Counter(re.sub(r"\s+", "", token) for token in PLACEHOLDER.findall(text))


def tags(text: str) -> Counter[str]:
    return Counter(re.sub(r"\s+", " ", tag) for tag in TAG.findall(text))


def test_catalogue_exists_for_simplified_chinese() -> None:
    assert PO.exists(), f"{PO} is missing: run `make messages` and translate it"
    catalog = committed()
    assert str(catalog.locale) == "zh_Hans"
    assert catalog.num_plurals == 1
    assert "Plural-Forms: nplurals=1; plural=0;" in PO.read_text(encoding="utf-8")
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    assert len(list(entries(catalog))) > 100


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    found = problems(committed())
    assert not found, f"{PO.name}: {len(found)} message(s) to translate:\n" + "\n".join(found)


def test_placeholders_and_markup_are_kept() -> None:
    wrong = []
    for message in entries(committed()):
        # Chinese has one plural form; it must carry the variables of the plural msgid.
        source = message.id[-1] if isinstance(message.id, tuple | list) else message.id
        for translated in strings(message):
            if not translated:
                continue
            if placeholders(translated) != placeholders(source):
                wrong.append(
                    f"{source!r}: placeholders {sorted(placeholders(source))} "
                    f"became {sorted(placeholders(translated))} in {translated!r}"
                )
            if tags(translated) != tags(source):
                wrong.append(f"{source!r}: HTML tags differ in {translated!r}")
    assert not wrong, "\n".join(wrong)


def test_babel_finds_no_format_errors() -> None:
    errors = [f"{msgid_text(m)!r}: {e}" for m, errs in committed().check() for e in errs]
    assert not errors, "\n".join(errors)


def test_chinese_translations_are_not_english_copies() -> None:
    """A msgstr may equal its msgid only for names and formats written the same in Chinese
    (all capitals: CSV, PDF, YYYY-MM-DD)."""
    copies = [
        message.id
        for message in entries(committed())
        if isinstance(message.id, str)
        and message.string == message.id
        and any(ch.islower() for ch in message.id)
    ]
    assert not copies, f"left in English: {copies}"


def _lazy_strings() -> Iterator[tuple[str, Any]]:
    """(where, lazy string) for user-facing strings registered by mederp code at import."""
    from mederp.audit.actions import ACTION_LABELS
    from mederp.identity.permissions import PERMISSIONS

    for code, description in PERMISSIONS.items():
        yield f"permission {code}", description
    for code, label in ACTION_LABELS.items():
        yield f"action {code}", label
    for config in apps.get_app_configs():
        if not config.name.startswith("mederp."):
            continue
        for model in config.get_models():
            where = f"{model._meta.label}"
            for attr in ("verbose_name", "verbose_name_plural"):
                value = model._meta.original_attrs.get(attr)  # set in Meta, not derived
                if isinstance(value, Promise):
                    yield f"{where} {attr}", value
            for field in model._meta.get_fields():
                for attr in ("verbose_name", "help_text"):
                    value = getattr(field, attr, None)
                    if isinstance(value, Promise):
                        yield f"{where}.{field.name} {attr}", value
                for _value, label in getattr(field, "flatchoices", None) or []:
                    if isinstance(label, Promise):
                        yield f"{where}.{field.name} choice", label


def test_strings_registered_in_code_are_in_the_catalogue() -> None:
    """Permission descriptions (gettext_noop as N_), action labels, model and field names.

    Needs no gettext tools: it catches an extraction gap (say, a new keyword) on any machine.
    """
    catalog = committed()
    missing = []
    for where, value in _lazy_strings():
        with translation.override(None):  # no catalogue active: str() gives the msgid
            msgid = str(value)
        if not msgid:
            continue
        message = catalog.get(msgid)
        if message is not None and not message.fuzzy and all(strings(message)):
            continue
        with translation.override("zh-hans"):
            if str(value) != msgid:  # inherited from Django or allauth, which translate it
                continue
        missing.append(f"{where}: {msgid!r}")
    assert not missing, "not translated in the zh_Hans catalogue:\n" + "\n".join(missing)


def test_sources_hold_no_string_missing_from_the_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-extract with `makemessages` into a scratch copy merged with the committed .po."""
    absent = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if absent:
        pytest.skip(f"GNU gettext not installed ({', '.join(absent)}): re-extraction skipped")
    copy = tmp_path / "mederp"
    shutil.copytree(
        PACKAGE,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.pot", "static"),
    )
    monkeypatch.chdir(copy)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [str(copy / "locale")])
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        no_obsolete=True,
        ignore_patterns=["testing/*"],
        verbosity=0,
    )
    merged = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    found = problems(read_catalogue(merged))
    assert not found, (
        "strings in the code that the zh_Hans catalogue lacks; run `make messages` and "
        "translate them:\n" + "\n".join(found)
    )
