"""/api/v1/ endpoints of this app (included by mederp.api.urls; names are "api:<name>")."""

from django.urls import path

from mederp.items import api

urlpatterns: list = [
    path("items", api.ItemListCreate.as_view(), name="items"),
    path("items/import", api.ItemImport.as_view(), name="items-import"),
    path("items/<int:pk>", api.ItemDetail.as_view(), name="item"),
    path("items/<int:pk>/release", api.ItemRelease.as_view(), name="item-release"),
    path("items/<int:pk>/obsolete", api.ItemObsolete.as_view(), name="item-obsolete"),
    path("uoms", api.UnitList.as_view(), name="uoms"),
]
