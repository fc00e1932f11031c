"""System checks: RESTRICTED fields are encrypted, and encrypted fields are used correctly.

mederp.E101  a RESTRICTED field of a mederp model is not an encrypted (or keyed-hash) field
mederp.E102  an encrypted field on a model that is not an EncryptedModel
mederp.E103  a blind index whose source is not an encrypted field of the same model
mederp.E104  an encrypted field classified below CONFIDENTIAL (encryption without a reason
             to protect the value is a classification mistake)
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks

from mederp.core.classification import Level, declared, is_mederp_model


@checks.register("mederp")
def check_encryption(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from mederp.data.fields import BlindIndexField, EncryptedField, KeyedHashField
    from mederp.data.models import EncryptedModel

    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not is_mederp_model(model) or model._meta.proxy:
            continue
        decl = declared(model)
        label = model._meta.label
        for field in model._meta.concrete_fields:
            level = decl.get(field.name)
            encrypted = isinstance(field, EncryptedField)
            restricted = level is not None and level.restricted
            if restricted and not encrypted and not isinstance(field, KeyedHashField):
                errors.append(
                    checks.Error(
                        f"{label}.{field.name} is RESTRICTED but stored in clear.",
                        hint="Use an Encrypted*Field from mederp.data.fields (or a "
                        "KeyedHashField for values that are only compared).",
                        obj=model,
                        id="mederp.E101",
                    )
                )
            if encrypted and not issubclass(model, EncryptedModel):
                errors.append(
                    checks.Error(
                        f"{label}.{field.name} is encrypted but {label} is not an EncryptedModel.",
                        hint="Subclass mederp.data.models.EncryptedModel (UUID identity, "
                        "row data key).",
                        obj=model,
                        id="mederp.E102",
                    )
                )
            if encrypted and level is not None and level.level < Level.CONFIDENTIAL:
                errors.append(
                    checks.Error(
                        f"{label}.{field.name} is encrypted but classified {level.level.name}.",
                        obj=model,
                        id="mederp.E104",
                    )
                )
            if isinstance(field, BlindIndexField):
                try:
                    source = model._meta.get_field(field.source)
                except Exception:
                    source = None
                if not isinstance(source, EncryptedField):
                    errors.append(
                        checks.Error(
                            f"{label}.{field.name}: source {field.source!r} is not an "
                            "encrypted field of this model.",
                            obj=model,
                            id="mederp.E103",
                        )
                    )
    return errors
