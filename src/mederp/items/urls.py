from django.urls import path

from mederp.items import views

app_name = "items"

urlpatterns: list = [
    path("", views.item_list, name="list"),
    path("new/", views.item_create, name="create"),
    path("import/", views.item_import, name="import"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/edit/", views.item_edit, name="edit"),
    path("<int:pk>/release/", views.item_release, name="release"),
    path("<int:pk>/obsolete/", views.item_obsolete, name="obsolete"),
    path("<int:pk>/conversions/", views.conversion_add, name="conversion_add"),
]
