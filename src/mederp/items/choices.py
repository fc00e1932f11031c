from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ItemType(models.TextChoices):
    RAW_MATERIAL = "raw_material", _("Raw material")
    COMPONENT = "component", _("Component")
    SUB_ASSEMBLY = "sub_assembly", _("Sub-assembly")
    FINISHED_DEVICE = "finished_device", _("Finished device")
    PACKAGING = "packaging", _("Packaging")
    LABEL = "label", _("Label")


class Tracking(models.TextChoices):
    NONE = "none", _("None")
    LOT = "lot", _("Lot")
    SERIAL = "serial", _("Serial")
    LOT_SERIAL = "lot_serial", _("Lot and serial")


class ItemStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RELEASED = "released", _("Released")
    OBSOLETE = "obsolete", _("Obsolete")


class StorageCondition(models.TextChoices):
    AMBIENT = "ambient", _("Ambient (no control)")
    CONTROLLED = "controlled", _("Controlled room temperature 15–25 °C")
    COOL = "cool", _("Cool 2–8 °C")
    FROZEN = "frozen", _("Frozen ≤ −18 °C")
    DRY = "dry", _("Dry, humidity ≤ 60 %")


class Dimension(models.TextChoices):
    COUNT = "count", pgettext_lazy("unit dimension", "Count")
    MASS = "mass", _("Mass")
    LENGTH = "length", _("Length")
    VOLUME = "volume", _("Volume")
    AREA = "area", _("Area")


class NmpaClass(models.TextChoices):
    I = "I", _("NMPA class I")  # noqa: E741
    II = "II", _("NMPA class II")
    III = "III", _("NMPA class III")


class FdaClass(models.TextChoices):
    I = "I", _("FDA class I")  # noqa: E741
    II = "II", _("FDA class II")
    III = "III", _("FDA class III")


class MdrClass(models.TextChoices):
    I = "I", _("EU MDR class I")  # noqa: E741
    IS = "Is", _("EU MDR class Is (sterile)")
    IM = "Im", _("EU MDR class Im (measuring)")
    IR = "Ir", _("EU MDR class Ir (reusable surgical)")
    IIA = "IIa", _("EU MDR class IIa")
    IIB = "IIb", _("EU MDR class IIb")
    III = "III", _("EU MDR class III")
