"""Import items from CSV/XLSX through `mederp.core.imports.run`: the whole file or nothing.

Each row becomes a new draft item through `services.create_item` (an import never changes an
existing item: a code that already exists is a row error). The importer needs `items.import`
for the file and, since every row goes through the create service, `items.manage` too.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mederp.core import imports
from mederp.identity.authz import authorize
from mederp.items import services
from mederp.items.choices import (
    FdaClass,
    ItemType,
    MdrClass,
    NmpaClass,
    StorageCondition,
    Tracking,
)
from mederp.items.models import Item, UnitOfMeasure

COLUMNS: tuple[str, ...] = (
    "code",
    "name_en",
    "name_zh",
    "item_type",
    "uom",
    "tracking",
    "shelf_life_days",
    "storage_condition",
    "storage_notes",
    "revision",
    "nmpa_class",
    "fda_class",
    "mdr_class",
    "gtin",
    "registration_no",
    "implantable",
)
REQUIRED: tuple[str, ...] = ("code", "name_en", "name_zh", "item_type", "uom")
EXAMPLE: dict[str, str] = {
    "code": "FG-00001",
    "name_en": "Infusion set, 20 drops/ml",
    "name_zh": "一次性使用输液器",
    "item_type": "finished_device",
    "uom": "EA",
    "tracking": "lot",
    "shelf_life_days": "1095",
    "storage_condition": "dry",
    "storage_notes": "",
    "revision": "A",
    "nmpa_class": "III",
    "fda_class": "II",
    "mdr_class": "IIa",
    "gtin": "06901234567892",
    "registration_no": "国械注准20233140001",
    "implantable": "no",
}
_TRUE = {"yes", "y", "true", "1", "是", "x"}
_FALSE = {"no", "n", "false", "0", "否", ""}
_CHOICES: dict[str, list[str]] = {
    "item_type": list(ItemType.values),
    "tracking": list(Tracking.values),
    "storage_condition": list(StorageCondition.values),
    "nmpa_class": list(NmpaClass.values),
    "fda_class": list(FdaClass.values),
    "mdr_class": list(MdrClass.values),
}


def template_csv() -> bytes:
    """The header row (and no data): what the upload page offers to download. UTF-8 with a BOM
    so that spreadsheet programs open the Chinese names correctly."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(COLUMNS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _choice(name: str, value: str) -> str:
    if not value:
        return ""
    for choice in _CHOICES[name]:
        if choice.lower() == value.lower():
            return choice
    raise ValidationError(
        {
            name: _("%(value)s is not one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(_CHOICES[name])}
        }
    )


def clean_row(row: dict[str, str]) -> dict[str, Any]:
    """One row of strings → the arguments of `services.create_item`, every error of the row
    at once (field → message), including a code or GTIN that already exists."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in COLUMNS:
        raw = (row.get(name) or "").strip()
        try:
            if name in _CHOICES:
                values[name] = _choice(name, raw)
            elif name == "uom":
                unit = UnitOfMeasure.objects.filter(code=raw.upper()).first()
                if unit is None:
                    raise ValidationError(
                        {name: _("There is no unit of measure %(code)s.") % {"code": raw}}
                    )
                values[name] = unit
            elif name == "shelf_life_days":
                if raw and not raw.isdigit():
                    raise ValidationError({name: _("Enter a whole number of days.")})
                values[name] = int(raw) if raw else None
            elif name == "implantable":
                if raw.lower() not in _TRUE | _FALSE:
                    raise ValidationError({name: _("Enter yes or no.")})
                values[name] = raw.lower() in _TRUE
            elif name == "code":
                values[name] = raw.upper()
            else:
                values[name] = raw
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    for name, default in (
        ("tracking", Tracking.LOT),
        ("storage_condition", StorageCondition.AMBIENT),
        ("revision", "A"),
    ):
        if not values.get(name) and name not in errors:
            values[name] = default
    if not errors:
        try:
            # The model's own checks now, so that every bad row is reported before anything
            # is written (the service checks again when the file is accepted).
            Item(**values).full_clean()
            problems = services.release_problems(Item(**values))
            if "tracking" in problems:
                raise ValidationError({"tracking": problems["tracking"]})
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return values


def _permission(actor: Any) -> None:
    authorize(actor, "items.import")
    authorize(actor, "items.manage")


def import_items(actor: Any, data: bytes, *, filename: str) -> imports.ImportResult:
    """Validate the whole file, then create every item in one transaction, or nothing.

    Raises PermissionDenied (no `items.import` / `items.manage`) and
    `imports.ImportFileError` (the file as a whole cannot be read); row problems are in the
    result's `errors`."""
    return imports.run(
        actor,
        data,
        filename=filename,
        kind="items.item",
        columns=COLUMNS,
        required=REQUIRED,
        clean_row=clean_row,
        create=lambda who, cleaned: services.create_item(who, **cleaned),
        key=lambda cleaned: cleaned["code"],
        permission=_permission,
    )
