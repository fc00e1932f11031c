from django.urls import path

from mederp.access import transitions, views
from mederp.signatures.dialog import esign_view

app_name = "access"

urlpatterns = [
    path("roles/", views.role_matrix, name="roles"),
    path("grants/", views.grant_list, name="grants"),
    path("grants/new/", views.grant_new, name="grant_new"),
    path("grants/<int:pk>/", views.grant_detail, name="grant"),
    path("grants/<int:pk>/approve/", esign_view(transitions.APPROVE_GRANT), name="grant_approve"),
    path("grants/<int:pk>/reject/", esign_view(transitions.REJECT_GRANT), name="grant_reject"),
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/start/", views.review_start, name="review_start"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path(
        "reviews/<int:pk>/complete/",
        esign_view(transitions.COMPLETE_REVIEW),
        name="review_complete",
    ),
    path("reviews/items/<int:pk>/decide/", views.review_decide, name="review_decide"),
]
