from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mederp.access.api import PendingGrantList, UnreviewedReport
from mederp.api.views import MeView
from mederp.audit.api import AuditEntryList
from mederp.data.api import PersonDetail, PersonListCreate, PersonReveal, PersonSearch

app_name = "api"

urlpatterns = [
    path("v1/me", MeView.as_view(), name="me"),
    path("v1/audit/entries", AuditEntryList.as_view(), name="audit-entries"),
    path("v1/people", PersonListCreate.as_view(), name="people"),
    path("v1/people/search", PersonSearch.as_view(), name="people-search"),
    path("v1/people/<uuid:pk>", PersonDetail.as_view(), name="person"),
    path("v1/people/<uuid:pk>/reveal", PersonReveal.as_view(), name="person-reveal"),
    path("v1/access/grants", PendingGrantList.as_view(), name="access-grants"),
    path(
        "v1/access/reviews/<int:pk>/unreviewed",
        UnreviewedReport.as_view(),
        name="access-review-unreviewed",
    ),
    path("v1/", include("mederp.items.api_urls")),
    path("v1/", include("mederp.partners.api_urls")),
    path("v1/", include("mederp.inventory.api_urls")),
    path("v1/", include("mederp.purchasing.api_urls")),
    path("v1/", include("mederp.inspection.api_urls")),
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
