"""/api/v1/ endpoints of this app (included by mederp.api.urls; names are "api:<name>")."""

from django.urls import path

from mederp.partners import api

urlpatterns: list = [
    path("suppliers", api.SupplierListCreate.as_view(), name="suppliers"),
    path("suppliers/import", api.SupplierImport.as_view(), name="suppliers-import"),
    path("suppliers/<int:pk>", api.SupplierDetail.as_view(), name="supplier"),
    path("suppliers/<int:pk>/status", api.SupplierStatusView.as_view(), name="supplier-status"),
    path(
        "suppliers/<int:pk>/approved-items",
        api.SupplierApprovedItems.as_view(),
        name="supplier-approved-items",
    ),
    path(
        "suppliers/<int:pk>/approved-items/<int:entry>/deactivate",
        api.SupplierApprovedItemDeactivate.as_view(),
        name="supplier-approved-item-deactivate",
    ),
    path(
        "suppliers/<int:pk>/certificates",
        api.SupplierCertificates.as_view(),
        name="supplier-certificates",
    ),
    path("customers", api.CustomerListCreate.as_view(), name="customers"),
    path("customers/import", api.CustomerImport.as_view(), name="customers-import"),
    path("customers/<int:pk>", api.CustomerDetail.as_view(), name="customer"),
    path("customers/<int:pk>/status", api.CustomerStatusView.as_view(), name="customer-status"),
]
