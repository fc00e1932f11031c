from django.urls import path

from mederp.inventory import count_views, views

app_name = "inventory"

urlpatterns = [
    path("", views.stock, name="stock"),
    path("locations/", views.locations, name="locations"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<int:pk>/", views.location_detail, name="location"),
    path("locations/<int:pk>/change/", views.location_update, name="location_update"),
    path("lots/", views.lots, name="lots"),
    path("lots/<int:pk>/", views.lot_detail, name="lot"),
    path("lots/<int:pk>/hold/", views.lot_hold, name="lot_hold"),
    path("lots/<int:pk>/lift-hold/", views.lot_lift_hold, name="lot_lift_hold"),
    path("serials/", views.serials, name="serials"),
    path("serials/<int:pk>/", views.serial_detail, name="serial"),
    path("moves/", views.moves, name="moves"),
    path("transfer/", views.transfer, name="transfer"),
    path("issue/", views.issue, name="issue"),
    path("scrap/", views.scrap, name="scrap"),
    path("return/", views.return_to_supplier, name="return"),
    path("counts/", count_views.count_list, name="counts"),
    path("counts/new/", count_views.count_start, name="count_start"),
    path("counts/<int:pk>/", count_views.count_detail, name="count"),
    path("counts/<int:pk>/enter/", count_views.count_enter, name="count_enter"),
    path("counts/<int:pk>/add-line/", count_views.count_add_line, name="count_add_line"),
    path("counts/<int:pk>/approve/", count_views.count_approve, name="count_approve"),
    path("counts/<int:pk>/reject/", count_views.count_reject, name="count_reject"),
    path("counts/<int:pk>/cancel/", count_views.count_cancel, name="count_cancel"),
]
