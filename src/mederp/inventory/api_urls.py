"""/api/v1/ endpoints of this app (included by mederp.api.urls; names are "api:<name>")."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
