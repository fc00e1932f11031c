"""/api/v1/ endpoints of this app (included by mederp.api.urls; names are "api:<name>")."""

from django.urls import path

from mederp.inventory import api

urlpatterns = [
    path("locations", api.LocationList.as_view(), name="locations"),
    path("locations/<int:pk>", api.LocationDetail.as_view(), name="location"),
    path("lots", api.LotList.as_view(), name="lots"),
    path("lots/<int:pk>", api.LotDetail.as_view(), name="lot"),
    path("lots/<int:pk>/hold", api.LotHold.as_view(), name="lot-hold"),
    path("lots/<int:pk>/lift-hold", api.LotLiftHold.as_view(), name="lot-lift-hold"),
    path("serials", api.SerialList.as_view(), name="serials"),
    path("stock", api.StockView.as_view(), name="stock"),
    path("stock/moves", api.MoveList.as_view(), name="stock-moves"),
    path("stock/fefo", api.Fefo.as_view(), name="stock-fefo"),
    path("stock/transfers", api.TransferPost.as_view(), name="stock-transfers"),
    path("stock/issues", api.IssuePost.as_view(), name="stock-issues"),
    path("stock/scraps", api.ScrapPost.as_view(), name="stock-scraps"),
    path("stock/returns", api.ReturnPost.as_view(), name="stock-returns"),
    path("cycle-counts", api.CountList.as_view(), name="cycle-counts"),
    path("cycle-counts/<int:pk>", api.CountDetail.as_view(), name="cycle-count"),
    path("cycle-counts/<int:pk>/counts", api.CountEnter.as_view(), name="cycle-count-enter"),
    path("cycle-counts/<int:pk>/submit", api.CountSubmit.as_view(), name="cycle-count-submit"),
    path("cycle-counts/<int:pk>/approve", api.CountApprove.as_view(), name="cycle-count-approve"),
    path("cycle-counts/<int:pk>/reject", api.CountReject.as_view(), name="cycle-count-reject"),
    path("cycle-counts/<int:pk>/cancel", api.CountCancel.as_view(), name="cycle-count-cancel"),
]
