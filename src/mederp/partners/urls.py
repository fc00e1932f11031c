from django.urls import path

from mederp.partners import views

app_name = "partners"

urlpatterns: list = [
    path("suppliers/", views.supplier_list, name="suppliers"),
    path("suppliers/new/", views.supplier_create, name="supplier_create"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier"),
    path("suppliers/<int:pk>/edit/", views.supplier_edit, name="supplier_edit"),
    path("suppliers/<int:pk>/status/", views.supplier_status, name="supplier_status"),
    path("suppliers/<int:pk>/approved-items/", views.supplier_asl_add, name="supplier_asl_add"),
    path(
        "suppliers/<int:pk>/approved-items/<int:entry>/deactivate/",
        views.supplier_asl_deactivate,
        name="supplier_asl_deactivate",
    ),
    path(
        "suppliers/<int:pk>/certificates/",
        views.supplier_certificate_add,
        name="supplier_certificate_add",
    ),
    path("suppliers/<int:pk>/contacts/", views.supplier_contact_add, name="supplier_contact_add"),
    path("certificates/<int:pk>/file/", views.certificate_download, name="certificate_file"),
    path("customers/", views.customer_list, name="customers"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/status/", views.customer_status, name="customer_status"),
    path("customers/<int:pk>/contacts/", views.customer_contact_add, name="customer_contact_add"),
    path("import/<str:kind>/", views.import_page, name="import"),
    path("import/<str:kind>/template.<str:fmt>", views.import_template, name="import_template"),
]
