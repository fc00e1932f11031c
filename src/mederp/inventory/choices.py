from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LocationLevel(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    ZONE = "zone", _("Zone")
    BIN = "bin", _("Bin")


class LocationKind(models.TextChoices):
    QUARANTINE = "quarantine", _("Quarantine")
    STOCK = "stock", _("Released stock")
    REJECTED = "rejected", _("Rejected / MRB")
    PRODUCTION = "production", _("Production")
    SHIPPING = "shipping", _("Shipping")


class LotStatus(models.TextChoices):
    QUARANTINE = "quarantine", _("Quarantine")
    RELEASED = "released", _("Released")
    REJECTED = "rejected", pgettext_lazy("lot status", "Rejected")
    ON_HOLD = "on_hold", _("On hold")
    EXPIRED = "expired", _("Expired")
    RECALLED = "recalled", _("Recalled")


class SerialStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    ISSUED = "issued", _("Issued to production")
    SHIPPED = "shipped", _("Shipped")
    SCRAPPED = "scrapped", _("Scrapped")
    RETURNED = "returned", _("Returned to supplier")


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    TRANSFER = "transfer", _("Transfer")
    ISSUE = "issue", _("Issue")
    ADJUSTMENT = "adjustment", _("Adjustment")
    SCRAP = "scrap", _("Scrap")
    RETURN = "return", _("Return to supplier")


class CountStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")
