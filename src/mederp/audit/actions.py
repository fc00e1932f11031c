"""Action codes of the ledger, with English and Chinese labels (through the i18n catalogue)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "create": _("Created"),
    "update": _("Changed"),
    "delete": _("Deleted"),
    "revoke": _("Revoked"),
    "transition": _("Status changed"),
    "sign": _("Signed electronically"),
    "sign_failed": _("Electronic signature failed"),
    "login": _("Signed in"),
    "login_failed": _("Sign-in failed"),
    "logout": _("Signed out"),
    "password_changed": _("Password changed"),
    "password_set": _("Password set"),
    "password_reset": _("Password reset"),
    "lockout": _("Account locked"),
    "mfa_enrolled": _("Two-factor authentication enrolled"),
    "mfa_removed": _("Two-factor authentication removed"),
    "mfa_failed": _("Two-factor code rejected"),
    "mfa_recovery_codes_regenerated": _("Recovery codes regenerated"),
    "unlock": _("Account unlocked"),
    "login_after_failures": _("Signed in after failed attempts"),
    "device_registered": _("New device registered"),
    "device_approved": _("Device approved"),
    "device_revoked": _("Device revoked"),
    "session_expired": _("Session ended by policy"),
    "session_rotated": _("Session renewed after a privilege change"),
    "session_revoked": _("Session ended by the user"),
    "sessions_ended": _("All sessions ended"),
    "permission_denied": _("Access denied"),
    "role_granted": _("Role granted"),
    "role_revoked": _("Role revoked"),
    "sod_violation": _("Segregation of duties refused"),
    "grant_requested": _("Privileged role requested"),
    "grant_approved": _("Privileged role approved"),
    "grant_rejected": _("Privileged role rejected"),
    "review_started": _("Access review started"),
    "review_confirmed": _("Access confirmed in review"),
    "review_revoked": _("Access revoked in review"),
    "review_completed": _("Access review completed"),
    "account_disabled_inactive": _("Account disabled for inactivity"),
    "export": _("Data exported"),
    "reveal": _("Restricted value revealed"),
    "api_call": _("API call"),
    "key_rotated": _("Key rotated"),
    "key_reencrypted": _("Data re-encrypted"),
    "shred_requested": _("Erasure requested"),
    "shred_approved": _("Erasure approved"),
    "shred_rejected": _("Erasure rejected"),
    "key_destroyed": _("Data key destroyed"),
    "data_erased": _("Personal data erased"),
    "checkpoint": _("Audit checkpoint signed"),
    "backup_created": _("Backup created"),
    "backup_verified": _("Backup verified"),
    "backup_restored": _("Backup restored"),
    "backup_failed": _("Backup failed"),
    # materials
    "import": _("Data imported"),
    "approve": _("Approved"),
    "receive": _("Goods received"),
    "stock_move": _("Stock moved"),
    "inspection_result": _("Inspection result recorded"),
    "disposition": _("Disposition decided"),
    "count_posted": _("Cycle count posted"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
