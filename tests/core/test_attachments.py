"""Attachments: only PDF/PNG/JPEG whose content matches the name, hashed and audited."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from mederp.audit.models import AuditEntry
from mederp.core import attachments
from mederp.identity.authz import SYSTEM


class Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def test_pdf_is_stored_hashed_and_audited(site_a: Any, media: None) -> None:
    att = attachments.store(SYSTEM, Upload(b"%PDF-1.7 certificate", "CoC.pdf"), obj=site_a)
    assert att.content_type == "application/pdf"
    assert att.object_type == "identity.site"
    assert attachments.verify_file(att)
    entry = AuditEntry.objects.filter(action="create", object_id=str(att.pk)).get()
    assert entry.changes["sha256"] == [None, att.sha256]


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"MZ\x90\x00 not a pdf", "coc.pdf"), (b"%PDF-1.7", "coc.exe"), (b"", "empty.pdf")],
)
def test_wrong_or_empty_files_are_refused(site_a: Any, media: None, data: bytes, name: str) -> None:
    with pytest.raises(ValidationError):
        attachments.store(SYSTEM, Upload(data, name), obj=site_a)


def test_swapped_file_is_detected(site_a: Any, media: None) -> None:
    att = attachments.store(SYSTEM, Upload(b"%PDF-1.7 original", "a.pdf"), obj=site_a)
    path = att.file.path
    with open(path, "wb") as fh:
        fh.write(b"%PDF-1.7 forged")
    assert not attachments.verify_file(att)
