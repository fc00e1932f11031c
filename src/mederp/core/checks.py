"""System checks: every field of every mederp model is classified (mederp.E001/E002)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks

from mederp.core.classification import classified_fields, declared, is_mederp_model


@checks.register("mederp")
def check_field_classification(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not is_mederp_model(model) or model._meta.proxy:
            continue
        decl = declared(model)
        names = {field.name for field in classified_fields(model)}
        for name in sorted(names - decl.keys()):
            errors.append(
                checks.Error(
                    f"{model._meta.label}.{name} has no data classification.",
                    hint="Add it to the model's data_classification mapping "
                    "(PUBLIC, INTERNAL, CONFIDENTIAL or RESTRICTED).",
                    obj=model,
                    id="mederp.E001",
                )
            )
        for name in sorted(decl.keys() - names):
            errors.append(
                checks.Error(
                    f"{model._meta.label}.data_classification names {name!r}, "
                    "which is not a field.",
                    obj=model,
                    id="mederp.E002",
                )
            )
    return errors
