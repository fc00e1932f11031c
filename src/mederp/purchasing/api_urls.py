"""/api/v1/ endpoints of this app (included by mederp.api.urls; names are "api:<name>")."""

from django.urls import path

from mederp.purchasing import api

urlpatterns = [
    path("purchase-orders", api.OrderListCreate.as_view(), name="purchase-orders"),
    path("purchase-orders/<int:pk>", api.OrderDetail.as_view(), name="purchase-order"),
    path("purchase-orders/<int:pk>/lines", api.OrderLines.as_view(), name="purchase-order-lines"),
    path(
        "purchase-orders/<int:pk>/submit", api.OrderSubmit.as_view(), name="purchase-order-submit"
    ),
    path(
        "purchase-orders/<int:pk>/approve",
        api.OrderApprove.as_view(),
        name="purchase-order-approve",
    ),
    path(
        "purchase-orders/<int:pk>/cancel", api.OrderCancel.as_view(), name="purchase-order-cancel"
    ),
    path("purchase-orders/<int:pk>/close", api.OrderClose.as_view(), name="purchase-order-close"),
    path("purchase-order-lines/<int:pk>", api.LineDetail.as_view(), name="purchase-order-line"),
    path("receipts", api.ReceiptListCreate.as_view(), name="receipts"),
    path("receipts/parse-scan", api.ParseScan.as_view(), name="receipt-parse-scan"),
    path("receipts/<int:pk>", api.ReceiptDetail.as_view(), name="receipt"),
]
