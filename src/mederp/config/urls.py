from django.urls import include, path

from mederp.core import views as core_views
from mederp.identity import views as identity_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # allauth's own session list ends sessions without the audit trail: ours replaces it.
    path(
        "accounts/sessions/",
        identity_views.allauth_sessions_redirect,
        name="identity_allauth_sessions_redirect",
    ),
    path("accounts/", include("allauth.urls")),
    path("security/", include("mederp.identity.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("mederp.api.urls")),
    path("audit/", include("mederp.audit.urls")),
    path("people/", include("mederp.data.urls")),
    path("access/", include("mederp.access.urls")),
    path("items/", include("mederp.items.urls")),
    path("partners/", include("mederp.partners.urls")),
    path("inventory/", include("mederp.inventory.urls")),
    path("purchasing/", include("mederp.purchasing.urls")),
    path("inspection/", include("mederp.inspection.urls")),
    path("", include("mederp.ui.urls")),
]

handler403 = "mederp.ui.views.permission_denied"
handler404 = "mederp.ui.views.page_not_found"
handler500 = "mederp.ui.views.server_error"
