"""/api/v1 inventory endpoints: locations, lots (hold / lift hold), serial numbers, stock on
hand by item / lot / location, movements, FEFO suggestions, transfers / issues / scraps /
returns, and cycle counts.

Lists span the sites where the caller holds inventory.view; a record of another site is a
404. Writes name lots by number and locations by code (at the lot's site), so a scanner or
another system can post without looking up database ids. The services authorize at the
record's site and refuse with a message naming the rule (RFC 9457 problem details).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, TextChoices
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mederp.api.permissions import RequiredPermission
from mederp.identity.models import Site
from mederp.inventory import counts, selectors, services
from mederp.inventory.choices import (
    CountStatus,
    LocationKind,
    LocationLevel,
    LotStatus,
    MoveKind,
    SerialStatus,
)
from mederp.inventory.models import CycleCount, Location, Lot, Serial, StockMove
from mederp.items.choices import StorageCondition
from mederp.items.models import Item


class AtAnySite(RequiredPermission):
    """The permission held at one site at least; querysets and services scope the rest."""

    site_scoped = False


def _enum(choices: type[TextChoices], **kwargs: Any) -> Any:
    """A choice field documented by a pattern, not an `enum`: drf-spectacular names every enum
    after its field ("kind", "status"), so ours would collide with other apps' choice sets of
    the same field name in the OpenAPI schema."""
    field = type(f"{choices.__name__}Field", (serializers.ChoiceField,), {})
    values = list(choices.values)
    schema = {
        "type": "string",
        "pattern": "^(" + "|".join(values) + ")$",
        "description": "One of: " + ", ".join(values),
    }
    return extend_schema_field(schema)(field)(choices=choices.choices, **kwargs)


class ByMethod(APIView):
    """A view whose permission depends on the method (GET reads, POST/PATCH writes)."""

    required_permission = "inventory.view"
    permission_classes = [AtAnySite]
    write_permission = ""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS") and self.write_permission:
            self.required_permission = self.write_permission
        super().initial(request, *args, **kwargs)


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _site(code: str | None) -> Site | None:
    if not code:
        return None
    site = Site.objects.filter(code=code).first()
    if site is None:
        raise serializers.ValidationError({"site": [_("No such site.")]})
    return site


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise serializers.ValidationError({name: [_("Use the date format YYYY-MM-DD.")]}) from exc


def _choice(value: str | None, choices: Any, name: str) -> str:
    if value and value not in choices.values:
        raise serializers.ValidationError({name: [_("Unknown value %(v)s.") % {"v": value}]})
    return value or ""


def _paged(view: APIView, request: Request, rows: Any, serializer: Any) -> Response:
    paginator = Pages()
    page: Any = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(serializer(page or [], many=True).data)


# --- serializers -----------------------------------------------------------------------------
class LocationSerializer(serializers.ModelSerializer[Location]):
    site = serializers.CharField(source="site.code", read_only=True)
    parent = serializers.CharField(source="parent.code", read_only=True, allow_null=True)  # type: ignore[assignment]
    level = _enum(LocationLevel, read_only=True)
    kind = _enum(LocationKind, read_only=True)
    storage_condition = _enum(StorageCondition, read_only=True)

    class Meta:
        model = Location
        fields = ["id", "site", "parent", "code", "name", "level", "kind", "storage_condition"]
        fields += ["active"]


class LocationCreateSerializer(serializers.Serializer[Any]):
    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.all())
    parent = serializers.CharField(required=False, allow_blank=True, default="")  # type: ignore[assignment]
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=100)
    level = _enum(LocationLevel)
    kind = _enum(LocationKind)
    storage_condition = _enum(StorageCondition, default=StorageCondition.AMBIENT)


class LocationUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False)
    kind = _enum(LocationKind, required=False)
    storage_condition = _enum(StorageCondition, required=False)
    active = serializers.BooleanField(required=False)
    reason = serializers.CharField(help_text="Why the location changes (audit trail)")


class LotSerializer(serializers.ModelSerializer[Lot]):
    item = serializers.CharField(source="item.code", read_only=True)
    site = serializers.CharField(source="site.code", read_only=True)
    supplier = serializers.CharField(source="supplier.code", read_only=True, allow_null=True)
    status = _enum(LotStatus, read_only=True)

    class Meta:
        model = Lot
        fields = ["id", "number", "item", "site", "supplier", "supplier_lot", "manufactured_on"]
        fields += ["expires_on", "status", "status_reason", "version", "created_at"]


class SerialSerializer(serializers.ModelSerializer[Serial]):
    item = serializers.CharField(source="item.code", read_only=True)
    lot = serializers.CharField(source="lot.number", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True, allow_null=True)
    status = _enum(SerialStatus, read_only=True)

    class Meta:
        model = Serial
        fields = ["id", "serial", "item", "lot", "status", "location"]


class MoveSerializer(serializers.ModelSerializer[StockMove]):
    item = serializers.CharField(source="item.code", read_only=True)
    lot = serializers.CharField(source="lot.number", read_only=True)
    serial = serializers.CharField(source="serial.serial", read_only=True, allow_null=True)
    from_location = serializers.CharField(
        source="from_location.code", read_only=True, allow_null=True
    )
    to_location = serializers.CharField(source="to_location.code", read_only=True, allow_null=True)
    uom = serializers.CharField(source="uom.code", read_only=True)
    kind = _enum(MoveKind, read_only=True)

    class Meta:
        model = StockMove
        fields = ["id", "kind", "item", "lot", "serial", "from_location", "to_location"]
        fields += ["quantity", "uom", "reason", "reference", "created_at"]


class StockRowSerializer(serializers.Serializer[Any]):
    item = serializers.CharField(source="item__code")
    uom = serializers.CharField(source="item__uom__code")
    lot = serializers.CharField(source="lot__number", required=False)
    lot_status = _enum(LotStatus, source="lot__status", required=False)
    expires_on = serializers.DateField(source="lot__expires_on", required=False, allow_null=True)
    location = serializers.CharField(source="location__code", required=False)
    site = serializers.SerializerMethodField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)

    def get_site(self, row: dict[str, Any]) -> str | None:
        return row.get("location__site__code") or row.get("lot__site__code")


class PickSerializer(serializers.Serializer[Any]):
    lot_number = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    location_code = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)


class FefoSerializer(serializers.Serializer[Any]):
    picks = PickSerializer(many=True)
    short = serializers.DecimalField(
        max_digits=18, decimal_places=6, help_text="Quantity not covered by released stock"
    )


class InventoryReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Recorded in the audit trail")


class MoveRequestSerializer(serializers.Serializer[Any]):
    lot = serializers.CharField(help_text="Lot number")
    from_location = serializers.CharField(help_text="Location code at the lot's site")
    to_location = serializers.CharField(required=False, help_text="Transfers only")
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    serials = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    reference = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CountLineSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    item = serializers.CharField(source="item.code")
    lot = serializers.CharField(source="lot.number")
    location = serializers.CharField(source="location.code")
    expected_quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    counted_quantity = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    reason = serializers.CharField()
    counted_by = serializers.CharField(source="counted_by.username", allow_null=True)


class CountSerializer(serializers.ModelSerializer[CycleCount]):
    site = serializers.CharField(source="site.code", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)
    counted_by = serializers.CharField(source="counted_by.username", allow_null=True)
    submitted_by = serializers.CharField(source="submitted_by.username", allow_null=True)
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True)
    lines = CountLineSerializer(many=True, read_only=True)
    status = _enum(CountStatus, read_only=True)

    class Meta:
        model = CycleCount
        fields = ["id", "number", "site", "location", "status", "reason", "created_at"]
        fields += ["counted_by", "counted_at", "submitted_by", "submitted_at"]
        fields += ["approved_by", "approved_at", "version", "lines"]


class CountStartSerializer(serializers.Serializer[Any]):
    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.all())
    location = serializers.CharField(help_text="Location code at the site")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CountEntrySerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    counted = serializers.DecimalField(max_digits=18, decimal_places=6)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CountEntriesSerializer(serializers.Serializer[Any]):
    lines = CountEntrySerializer(many=True)


# --- locations -------------------------------------------------------------------------------
def _location_at(user: Any, site: Any, code: str, field: str, perm: str = "inventory.view") -> Any:
    loc = selectors.locations_for(user, perm).filter(site=site, code=code.strip().upper()).first()
    if loc is None:
        raise serializers.ValidationError(
            {field: [_("No location %(code)s at site %(site)s.") % {"code": code, "site": site}]}
        )
    return loc


class LocationList(ByMethod):
    write_permission = "inventory.manage_locations"

    @extend_schema(
        operation_id="locations_list",
        parameters=[OpenApiParameter("site", str), OpenApiParameter("kind", str)],
        responses=LocationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.locations_for(request.user).order_by("site__code", "code")
        site = _site(request.query_params.get("site"))
        if site is not None:
            rows = rows.filter(site=site)
        kind = _choice(request.query_params.get("kind"), LocationKind, "kind")
        if kind:
            rows = rows.filter(kind=kind)
        return _paged(self, request, rows, LocationSerializer)

    @extend_schema(
        operation_id="locations_create",
        request=LocationCreateSerializer,
        responses={201: LocationSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = LocationCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        parent_code = data.pop("parent")
        parent = (
            _location_at(request.user, data["site"], parent_code, "parent") if parent_code else None
        )
        loc = services.create_location(request.user, parent=parent, **data)
        return Response(LocationSerializer(loc).data, status=status.HTTP_201_CREATED)


class LocationDetail(ByMethod):
    write_permission = "inventory.manage_locations"

    def _get(self, pk: int) -> Location:
        loc = selectors.locations_for(self.request.user).filter(pk=pk).first()
        if loc is None:
            raise Http404
        return loc

    @extend_schema(operation_id="locations_retrieve", responses=LocationSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(LocationSerializer(self._get(pk)).data)

    @extend_schema(
        operation_id="locations_partial_update",
        request=LocationUpdateSerializer,
        responses=LocationSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        loc = self._get(pk)
        ser = LocationUpdateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason")
        loc = services.update_location(request.user, loc, reason=reason, **data)
        return Response(LocationSerializer(loc).data)


# --- lots and serials ------------------------------------------------------------------------
class LotList(APIView):
    required_permission = "inventory.view"
    permission_classes = [AtAnySite]

    @extend_schema(
        operation_id="lots_list",
        parameters=[
            OpenApiParameter("item", str, description="Item code"),
            OpenApiParameter("status", str, enum=LotStatus.values),
            OpenApiParameter("site", str, description="Site code"),
            OpenApiParameter("expires_before", dt.date),
            OpenApiParameter("number", str, description="Lot number contains"),
            OpenApiParameter("page", int),
        ],
        responses=LotSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        q = request.query_params
        flt = selectors.LotFilter(
            item=q.get("item", ""),
            status=_choice(q.get("status"), LotStatus, "status"),
            site=_site(q.get("site")),
            expires_before=_date(q.get("expires_before"), "expires_before"),
            number=q.get("number", ""),
        )
        return _paged(self, request, selectors.lots_for(request.user, flt), LotSerializer)


class _OneLot(APIView):
    required_permission = "inventory.view"
    permission_classes = [AtAnySite]

    def get_lot(self, pk: int) -> Lot:
        lot = selectors.lot_for(self.request.user, pk)
        if lot is None:
            raise Http404
        return lot


class LotDetail(_OneLot):
    @extend_schema(operation_id="lots_retrieve", responses=LotSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(LotSerializer(self.get_lot(pk)).data)


class LotHold(_OneLot):
    required_permission = "inventory.hold_lot"

    @extend_schema(
        operation_id="lots_hold", request=InventoryReasonSerializer, responses=LotSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        ser = InventoryReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        lot = services.hold_lot(request.user, self.get_lot(pk), reason=ser.validated_data["reason"])
        return Response(LotSerializer(lot).data)


class LotLiftHold(_OneLot):
    required_permission = "inventory.hold_lot"

    @extend_schema(
        operation_id="lots_lift_hold", request=InventoryReasonSerializer, responses=LotSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        ser = InventoryReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        lot = services.lift_hold(
            request.user, self.get_lot(pk), reason=ser.validated_data["reason"]
        )
        return Response(LotSerializer(lot).data)


class SerialList(APIView):
    required_permission = "inventory.view"
    permission_classes = [AtAnySite]

    @extend_schema(
        operation_id="serials_list",
        parameters=[
            OpenApiParameter("item", str, description="Item code"),
            OpenApiParameter("status", str, enum=SerialStatus.values),
            OpenApiParameter("lot", str, description="Lot number"),
            OpenApiParameter("page", int),
        ],
        responses=SerialSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        q = request.query_params
        rows = selectors.serials_for(
            request.user,
            status=_choice(q.get("status"), SerialStatus, "status"),
            item=q.get("item", ""),
        )
        if q.get("lot"):
            rows = rows.filter(lot__number=q["lot"])
        return _paged(self, request, rows, SerialSerializer)


# --- stock, movements, FEFO ------------------------------------------------------------------
class StockView(APIView):
    required_permission = "inventory.view"
    permission_classes = [AtAnySite]

    @extend_schema(
        operation_id="stock_on_hand",
        parameters=[
            OpenApiParameter("by", str, enum=list(selectors.STOCK_VIEWS)),
            OpenApiParameter("item", str, description="Item code"),
            OpenApiParameter("site", str, description="Site code"),
            OpenApiParameter("page", int),
        ],
        responses=StockRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        q = request.query_params
        by = q.get("by", "item")
        if by not in selectors.STOCK_VIEWS:
            raise serializers.ValidationError({"by": [_("Use item, lot or location.")]})
        rows = selectors.stock(request.user, by, site=_site(q.get("site")), item=q.get("item", ""))
        return _paged(self, request, rows, StockRowSerializer)


class MoveList(APIView):
    required_permission = "inventory.view"
    permission_classes = [AtAnySite]

    @extend_schema(
        operation_id="stock_moves_list",
        parameters=[
            OpenApiParameter("item", str, description="Item code"),
            OpenApiParameter("lot", str, description="Lot number"),
            OpenApiParameter("kind", str, enum=MoveKind.values),
            OpenApiParameter("page", int),
        ],
        responses=MoveSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        q = request.query_params
        rows: QuerySet[StockMove] = selectors.moves_for(
            request.user, item=q.get("item", ""), kind=_choice(q.get("kind"), MoveKind, "kind")
        )
        if q.get("lot"):
            rows = rows.filter(lot__number=q["lot"])
        return _paged(self, request, rows, MoveSerializer)


class Fefo(APIView):
    """First-expired-first-out picks for an item and quantity at a site."""

    required_permission = "inventory.view"
    permission_classes = [AtAnySite]

    @extend_schema(
        operation_id="stock_fefo",
        parameters=[
            OpenApiParameter("item", str, required=True, description="Item code"),
            OpenApiParameter("quantity", str, required=True),
            OpenApiParameter("site", str, required=True, description="Site code"),
        ],
        responses=FefoSerializer,
    )
    def get(self, request: Request) -> Response:
        q = request.query_params
        site = _site(q.get("site"))
        if site is None or not selectors.locations_for(request.user).filter(site=site).exists():
            raise serializers.ValidationError({"site": [_("Give a site of yours.")]})
        item = Item.objects.filter(code=(q.get("item") or "").strip().upper()).first()
        if item is None:
            raise serializers.ValidationError({"item": [_("No such item.")]})
        try:
            qty = services._positive(q.get("quantity", ""))
        except Exception as exc:
            raise serializers.ValidationError(
                {"quantity": [_("Give a quantity greater than zero.")]}
            ) from exc
        picks = selectors.fefo(item, qty, site=site)
        short = max(qty - sum((p.quantity for p in picks), Decimal(0)), Decimal(0))
        return Response(FefoSerializer({"picks": picks, "short": short}).data)


def _move_endpoint(kind: str, perm: str, operation: str) -> type[APIView]:
    class MovePost(APIView):
        required_permission = perm
        permission_classes = [AtAnySite]

        @extend_schema(
            operation_id=operation,
            request=MoveRequestSerializer,
            responses={201: MoveSerializer(many=True)},
        )
        def post(self, request: Request) -> Response:
            from mederp.inventory.views import run_move

            ser = MoveRequestSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            data = dict(ser.validated_data)
            lot = selectors.lot_by_number(request.user, data["lot"])
            if lot is None:
                raise serializers.ValidationError({"lot": [_("No lot with this number.")]})
            data["from_location"] = _location_at(
                request.user, lot.site, data["from_location"], "from_location"
            )
            if kind == "transfer":
                if not data.get("to_location"):
                    raise serializers.ValidationError({"to_location": [_("Required.")]})
                data["to_location"] = _location_at(
                    request.user, lot.site, data["to_location"], "to_location"
                )
            moves = run_move(request.user, kind, lot, data, data["serials"])
            return Response(MoveSerializer(moves, many=True).data, status=status.HTTP_201_CREATED)

    MovePost.__name__ = MovePost.__qualname__ = f"{kind.title()}Post"
    return MovePost


TransferPost = _move_endpoint("transfer", "inventory.move", "stock_transfer")
IssuePost = _move_endpoint("issue", "inventory.move", "stock_issue")
ScrapPost = _move_endpoint("scrap", "inventory.adjust", "stock_scrap")
ReturnPost = _move_endpoint("return", "inventory.adjust", "stock_return")


# --- cycle counts ----------------------------------------------------------------------------
def _count_data(count: CycleCount) -> Any:
    count = (
        CycleCount.objects.select_related(
            "site", "location", "counted_by", "submitted_by", "approved_by"
        )
        .prefetch_related("lines__item", "lines__lot", "lines__location", "lines__counted_by")
        .get(pk=count.pk)
    )
    return CountSerializer(count).data


class CountList(ByMethod):
    write_permission = "inventory.count"

    @extend_schema(
        operation_id="cycle_counts_list",
        parameters=[OpenApiParameter("status", str, enum=CountStatus.values)],
        responses=CountSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        status_ = _choice(request.query_params.get("status"), CountStatus, "status")
        rows = selectors.counts_for(request.user, status=status_).prefetch_related(
            "lines__item", "lines__lot", "lines__location", "lines__counted_by"
        )
        return _paged(self, request, rows, CountSerializer)

    @extend_schema(
        operation_id="cycle_counts_start",
        request=CountStartSerializer,
        responses={201: CountSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = CountStartSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        site = ser.validated_data["site"]
        loc = _location_at(request.user, site, ser.validated_data["location"], "location")
        count = counts.start_count(request.user, location=loc, reason=ser.validated_data["reason"])
        return Response(_count_data(count), status=status.HTTP_201_CREATED)


class _OneCount(APIView):
    required_permission = "inventory.view"
    permission_classes = [AtAnySite]

    def get_count(self, pk: int) -> CycleCount:
        count = selectors.count_for(self.request.user, pk)
        if count is None:
            raise Http404
        return count


class CountDetail(_OneCount):
    @extend_schema(operation_id="cycle_counts_retrieve", responses=CountSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_count_data(self.get_count(pk)))


class CountEnter(_OneCount):
    required_permission = "inventory.count"

    @extend_schema(
        operation_id="cycle_counts_enter", request=CountEntriesSerializer, responses=CountSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        count = self.get_count(pk)
        ser = CountEntriesSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        entries = {e["line"]: (e["counted"], e["reason"]) for e in ser.validated_data["lines"]}
        return Response(_count_data(counts.enter_counts(request.user, count, entries)))


class CountSubmit(_OneCount):
    required_permission = "inventory.count"

    @extend_schema(operation_id="cycle_counts_submit", request=None, responses=CountSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return Response(_count_data(counts.submit_count(request.user, self.get_count(pk))))


def _count_decision(action: Any, perm: str, operation: str) -> type[APIView]:
    class Decide(_OneCount):
        required_permission = perm

        @extend_schema(
            operation_id=operation, request=InventoryReasonSerializer, responses=CountSerializer
        )
        def post(self, request: Request, pk: int) -> Response:
            count = self.get_count(pk)
            ser = InventoryReasonSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            count = action(request.user, count, reason=ser.validated_data["reason"])
            return Response(_count_data(count))

    Decide.__name__ = Decide.__qualname__ = operation.title().replace("_", "")
    return Decide


CountApprove = _count_decision(
    counts.approve_count, "inventory.approve_count", "cycle_counts_approve"
)
CountReject = _count_decision(counts.reject_count, "inventory.approve_count", "cycle_counts_reject")
CountCancel = _count_decision(counts.cancel_count, "inventory.count", "cycle_counts_cancel")
