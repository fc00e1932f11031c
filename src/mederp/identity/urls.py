from django.urls import path

from mederp.identity import views

app_name = "identity"

urlpatterns = [
    path("devices/", views.my_devices, name="my_devices"),
    path("device-pending/", views.device_pending, name="device_pending"),
    path("sessions/", views.my_sessions, name="my_sessions"),
    path("notices/", views.my_notices, name="my_notices"),
    path("admin/devices/", views.admin_devices, name="admin_devices"),
    path("admin/lockouts/", views.lockouts, name="lockouts"),
]
