from django.urls import path

from mederp.data import views

app_name = "data"

urlpatterns = [
    path("", views.people_list, name="people"),
    path("new/", views.person_create, name="person_create"),
    path("export/", views.people_export, name="people_export"),
    path("erasure/", views.erasure_requests, name="erasure_requests"),
    path("erasure/<int:pk>/decide/", views.erasure_decide, name="erasure_decide"),
    path("<uuid:pk>/", views.person_detail, name="person"),
    path("<uuid:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("<uuid:pk>/erasure/", views.erasure_request, name="erasure_request"),
]
