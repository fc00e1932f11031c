from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mederp.api.views import MeView
from mederp.audit.api import AuditEntryList

app_name = "api"

urlpatterns = [
    path("v1/me", MeView.as_view(), name="me"),
    path("v1/audit/entries", AuditEntryList.as_view(), name="audit-entries"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # Our template: drf-spectacular's has an inline <style> that the CSP refuses.
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
]
