"""Data classification declared at birth for every field of every mederp model.

A model declares `data_classification = {"field": INTERNAL, "email": personal(RESTRICTED)}`
and optionally `data_domain = "people"`. The system check in `checks.py` fails on any concrete
field without a declaration, so a new field cannot slip through unclassified. Encryption,
masking, export and audit rules read the level from here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models


class Level(enum.IntEnum):
    PUBLIC = 0
    INTERNAL = 1
    CONFIDENTIAL = 2
    RESTRICTED = 3  # personal or special-category data: encrypted and masked


@dataclass(frozen=True)
class FieldClass:
    level: Level
    personal_data: bool = False
    domain: str | None = None
    retention: str | None = None

    @property
    def restricted(self) -> bool:
        return self.level >= Level.RESTRICTED


PUBLIC = FieldClass(Level.PUBLIC)
INTERNAL = FieldClass(Level.INTERNAL)
CONFIDENTIAL = FieldClass(Level.CONFIDENTIAL)
RESTRICTED = FieldClass(Level.RESTRICTED, personal_data=True)


def personal(base: FieldClass) -> FieldClass:
    return FieldClass(base.level, True, base.domain, base.retention)


def declared(model: type[models.Model]) -> Mapping[str, FieldClass]:
    """The model's declarations, read-only. Not copied: `field_class` runs for every field of
    every audited snapshot."""
    return getattr(model, "data_classification", None) or {}


def field_class(model: type[models.Model], field_name: str) -> FieldClass:
    """Classification of one field; an undeclared field is treated as RESTRICTED (fail safe)."""
    decl = declared(model).get(field_name)
    if decl is None:
        return FieldClass(Level.RESTRICTED)
    domain = decl.domain or getattr(model, "data_domain", None)
    return FieldClass(decl.level, decl.personal_data, domain, decl.retention)


def classified_fields(model: type[models.Model]) -> list[Any]:
    opts = model._meta
    return [*opts.concrete_fields, *opts.local_many_to_many]


def is_mederp_model(model: type[models.Model]) -> bool:
    return model.__module__.startswith("mederp.")
