"""/api/v1/ endpoints of this app (included by mederp.api.urls; names are "api:<name>")."""

from django.urls import path

from mederp.inspection import api

urlpatterns: list = [
    path("inspection-plans", api.PlanListCreate.as_view(), name="inspection-plans"),
    path("inspection-plans/<int:pk>", api.PlanDetail.as_view(), name="inspection-plan"),
    path("inspections", api.InspectionListCreate.as_view(), name="inspections"),
    path("inspections/<int:pk>", api.InspectionDetail.as_view(), name="inspection"),
    path(
        "inspections/<int:pk>/results",
        api.InspectionResults.as_view(),
        name="inspection-results",
    ),
    path(
        "inspections/<int:pk>/decision",
        api.InspectionDecision.as_view(),
        name="inspection-decision",
    ),
    path(
        "inspections/<int:pk>/deviation",
        api.InspectionDeviation.as_view(),
        name="inspection-deviation",
    ),
]
