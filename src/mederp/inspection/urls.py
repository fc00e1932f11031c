from django.urls import path

from mederp.inspection import views

app_name = "inspection"

urlpatterns: list = [
    path("", views.inspection_list, name="list"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path(
        "plans/<int:pk>/characteristics/",
        views.plan_characteristic,
        name="plan_characteristic",
    ),
    path("plans/<int:pk>/activate/", views.plan_activate, name="plan_activate"),
    path("queue/", views.queue, name="queue"),
    path("queue/<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
    path("<int:pk>/results/<int:characteristic>/", views.record, name="record"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject-deviation/", views.reject_deviation, name="reject_deviation"),
]
