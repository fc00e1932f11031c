from django.urls import path

from mederp.purchasing import views

app_name = "purchasing"

urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("orders/<int:pk>/lines/", views.line_add, name="line_add"),
    path("orders/<int:pk>/submit/", views.order_submit, name="order_submit"),
    path("orders/<int:pk>/approve/", views.order_approve, name="order_approve"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/close/", views.order_close, name="order_close"),
    path("lines/<int:pk>/edit/", views.line_edit, name="line_edit"),
    path("lines/<int:pk>/remove/", views.line_remove, name="line_remove"),
    path("receiving/", views.receiving, name="receiving"),
    path("receiving/lines/<int:pk>/", views.receive_line, name="receive"),
    path("receiving/lines/<int:pk>/scan/", views.receive_scan, name="receive_scan"),
    path("receipts/", views.receipt_list, name="receipts"),
    path("receipts/<int:pk>/", views.receipt_detail, name="receipt"),
]
