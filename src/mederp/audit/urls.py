from django.urls import path

from mederp.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("export/", views.export, name="export"),
    path("<int:seq>/", views.entry_detail, name="entry"),
    path("trail/<str:object_type>/<str:object_id>/", views.trail, name="trail"),
]
