from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class CharacteristicKind(models.TextChoices):
    ATTRIBUTE = "attribute", _("Attribute (pass/fail, count of nonconforming units)")
    VARIABLE = "variable", _("Variable (measured value within limits)")


class InspectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING_APPROVAL = "pending_approval", _("Awaiting QA approval")
    CLOSED = "closed", _("Closed")


class Disposition(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    REJECT = "reject", pgettext_lazy("disposition", "Reject")
    ACCEPT_WITH_DEVIATION = "deviation", _("Accept with deviation")
