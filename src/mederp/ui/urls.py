from django.urls import path

from mederp.ui import views

app_name = "ui"

urlpatterns = [
    path("", views.home, name="home"),
    path("site/switch", views.switch_site, name="switch_site"),
]
