"""Store an uploaded file as an `Attachment` of a record (a supplier certificate, a
certificate of conformance) and serve it back to those who may see the record.

Files are kept under MEDIA_ROOT with a random name; the SHA-256 of the content is stored and
recorded in the ledger, so a file swapped on disk is detectable (`verify_file`). Only PDF and
image types are accepted, by their leading bytes as well as by their name.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.core.models import Attachment

MAX_BYTES = 20 * 1024 * 1024
# content type → (extensions, leading bytes)
ALLOWED: dict[str, tuple[tuple[str, ...], tuple[bytes, ...]]] = {
    "application/pdf": ((".pdf",), (b"%PDF-",)),
    "image/png": ((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": ((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
}


def _content_type(name: str, head: bytes) -> str:
    lower = name.lower()
    for content_type, (extensions, magics) in ALLOWED.items():
        if lower.endswith(extensions) and head.startswith(magics):
            return content_type
    raise ValidationError(
        _("Attach a PDF, PNG or JPEG file (the file's name and content must agree).")
    )


def object_key(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def store(actor: Any, upload: Any, *, obj: models.Model, site: Any = None) -> Attachment:
    """Save `upload` (a Django UploadedFile or any file-like object with a `name`) as an
    attachment of `obj`. Runs in the caller's transaction; the caller authorizes."""
    name = str(getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:255]
    declared_size = getattr(upload, "size", None)
    if isinstance(declared_size, int) and declared_size > MAX_BYTES:
        raise ValidationError(_("The file is larger than 20 MB."))
    data = upload.read(MAX_BYTES + 1)  # never more than the limit into memory
    if not data:
        raise ValidationError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 20 MB."))
    content_type = _content_type(name, data[:16])
    object_type, object_id = object_key(obj)
    attachment = Attachment(
        name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        object_type=object_type,
        object_id=object_id,
        uploaded_by=actor if getattr(actor, "pk", None) is not None else None,
        uploaded_at=timezone.now(),
    )
    attachment.file.save(str(attachment.id), ContentFile(data), save=False)
    attachment.save()
    audit.record(
        "create",
        attachment,
        changes={
            "name": [None, name],
            "sha256": [None, attachment.sha256],
            "size": [None, attachment.size],
            "record": [None, f"{object_type}:{object_id}"],
        },
        actor=actor,
        site=site,
    )
    return attachment


def verify_file(attachment: Attachment) -> bool:
    """True when the stored file still has the SHA-256 recorded at upload."""
    with attachment.file.open("rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest() == attachment.sha256
