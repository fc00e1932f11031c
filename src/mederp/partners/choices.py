from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplierStatus(models.TextChoices):
    PENDING = "pending", _("Pending qualification")
    APPROVED = "approved", _("Approved")
    CONDITIONAL = "conditional", _("Conditionally approved")
    DISQUALIFIED = "disqualified", _("Disqualified")


class CertificateKind(models.TextChoices):
    ISO_13485 = "iso13485", _("ISO 13485")
    ISO_9001 = "iso9001", _("ISO 9001")
    BUSINESS_LICENCE = "business_licence", _("Business licence (营业执照)")
    PRODUCTION_LICENCE = "production_licence", _("Production licence (生产许可证)")
    REGISTRATION = "registration", _("Registration certificate (注册证)")
    OTHER = "other", _("Other")


class ContactRole(models.TextChoices):
    QUALITY = "quality", _("Quality")
    SALES = "sales", _("Sales")
    LOGISTICS = "logistics", _("Logistics")
    MANAGEMENT = "management", _("Management")
    OTHER = "other", _("Other")


class CustomerKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    DISTRIBUTOR = "distributor", _("Distributor")
    OTHER = "other", _("Other")


class LicenceType(models.TextChoices):
    OPERATING_LICENCE = "operating_licence", _("Medical device operating licence (经营许可证)")
    FILING_CERTIFICATE = "filing_certificate", _("Medical device filing certificate (备案凭证)")
    PRACTICE_LICENCE = "practice_licence", _("Medical institution practice licence (执业许可证)")
    OTHER = "other", _("Other")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")
