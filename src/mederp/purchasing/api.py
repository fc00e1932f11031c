"""/api/v1/purchase-orders and /api/v1/receipts.

Reads need purchasing.view; each write needs its own permission (the view picks it by HTTP
method, so API token scopes follow the same codes). Records of sites where the caller does not
hold the permission are 404. Prices (`unit_price`, `amount`, `total`) are CONFIDENTIAL: they
read "—" unless the caller holds purchasing.view_prices at the order's site
(`prices_visible` says which).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mederp.api.permissions import RequiredPermission
from mederp.identity.models import Site
from mederp.inventory.models import Location
from mederp.items.models import Item, UnitOfMeasure
from mederp.partners.models import Supplier
from mederp.purchasing import selectors, services
from mederp.purchasing.choices import PoStatus
from mederp.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt

PRICE_HELP = 'Decimal as a string; "—" unless the caller holds purchasing.view_prices'


class PermissionAtAnySite(RequiredPermission):
    """The permission held at one site at least; the selectors keep each caller to the sites
    where they hold it."""

    site_scoped = False


class _Api(APIView):
    """`required_permission` for reads; `write_permissions` by HTTP method for the rest."""

    required_permission = selectors.VIEW
    write_permissions: dict[str, str] = {}
    permission_classes = [PermissionAtAnySite]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        perm = self.write_permissions.get(request.method or "")
        if perm:
            self.required_permission = perm
        super().initial(request, *args, **kwargs)

    def order(self, pk: Any) -> PurchaseOrder:
        order = selectors.order_for(self.request.user, pk, self.required_permission)
        if order is None:
            raise Http404
        return order


def _price(user: Any, site_id: int, value: Any) -> str:
    return selectors.price(user, site_id, value)


# --- serializers -----------------------------------------------------------------------------
class PurchaseOrderLineSerializer(serializers.Serializer[PurchaseOrderLine]):
    id = serializers.IntegerField(read_only=True)
    line_no = serializers.IntegerField(read_only=True)
    item = serializers.CharField(read_only=True, help_text="Item code")
    manufacturer_part_no = serializers.CharField(read_only=True)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6, read_only=True)
    uom = serializers.CharField(read_only=True, help_text="Unit code")
    unit_price = serializers.CharField(read_only=True, help_text=PRICE_HELP)
    amount = serializers.CharField(read_only=True, help_text=PRICE_HELP)
    due_date = serializers.DateField(read_only=True)
    received_quantity = serializers.DecimalField(max_digits=18, decimal_places=6, read_only=True)

    def to_representation(self, line: PurchaseOrderLine) -> dict[str, Any]:
        user = self.context["request"].user
        site = line.order.site_id
        return {
            "id": line.pk,
            "line_no": line.line_no,
            "item": line.item.code,
            "manufacturer_part_no": line.approved_supplier.manufacturer_part_no,
            "quantity": str(line.quantity),
            "uom": line.uom.code,
            "unit_price": _price(user, site, line.unit_price),
            "amount": _price(user, site, (line.quantity * line.unit_price).quantize(services.Q4)),
            "due_date": line.due_date.isoformat(),
            "received_quantity": str(line.received_quantity),
        }


class PurchaseOrderSerializer(serializers.Serializer[PurchaseOrder]):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    site = serializers.CharField(read_only=True, help_text="Site code")
    supplier = serializers.CharField(read_only=True, help_text="Supplier code")
    status = serializers.CharField(read_only=True, help_text=", ".join(PoStatus.values))
    currency = serializers.CharField(read_only=True)
    order_date = serializers.DateField(read_only=True)
    total = serializers.CharField(read_only=True, help_text=PRICE_HELP)
    prices_visible = serializers.BooleanField(read_only=True)
    notes = serializers.CharField(read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)
    warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Warnings of this change"
    )

    def to_representation(self, order: PurchaseOrder) -> dict[str, Any]:
        user = self.context["request"].user
        dt_field = serializers.DateTimeField()
        return {
            "id": order.pk,
            "number": order.number,
            "site": order.site.code,
            "supplier": order.supplier.code,
            "status": order.status,
            "currency": order.currency,
            "order_date": order.order_date.isoformat(),
            "total": _price(user, order.site_id, order.total),
            "prices_visible": selectors.may_see_prices(user, order.site_id),
            "notes": order.notes,
            "submitted_at": dt_field.to_representation(order.submitted_at)
            if order.submitted_at
            else None,
            "approved_at": dt_field.to_representation(order.approved_at)
            if order.approved_at
            else None,
            "version": order.version,
            "warnings": list(getattr(order, "warnings", [])),
        }


class PurchaseOrderDetailSerializer(PurchaseOrderSerializer):
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)

    def to_representation(self, order: PurchaseOrder) -> dict[str, Any]:
        data = super().to_representation(order)
        serializer: Any = PurchaseOrderLineSerializer
        data["lines"] = serializer(selectors.lines_of(order), many=True, context=self.context).data
        return data


class PurchaseOrderCreateSerializer(serializers.Serializer[Any]):
    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.all())
    supplier = serializers.SlugRelatedField(slug_field="code", queryset=Supplier.objects.all())
    order_date = serializers.DateField(required=False, allow_null=True, default=None)
    currency = serializers.CharField(max_length=3, default="CNY")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class PurchaseOrderLineCreateSerializer(serializers.Serializer[Any]):
    item = serializers.SlugRelatedField(slug_field="code", queryset=Item.objects.all())
    manufacturer_part_no = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=60
    )
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    uom = serializers.SlugRelatedField(
        slug_field="code",
        queryset=UnitOfMeasure.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Unit code (default: the item's base unit)",
    )
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=4, min_value=0)
    due_date = serializers.DateField()


class PurchaseOrderLineUpdateSerializer(serializers.Serializer[Any]):
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6, required=False)
    uom = serializers.SlugRelatedField(
        slug_field="code", queryset=UnitOfMeasure.objects.all(), required=False
    )
    unit_price = serializers.DecimalField(
        max_digits=18, decimal_places=4, min_value=0, required=False
    )
    due_date = serializers.DateField(required=False)


class PurchaseOrderReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Kept in the audit trail"
    )


class ReceiptSerializer(serializers.Serializer[Receipt]):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    site = serializers.CharField(read_only=True)
    purchase_order = serializers.CharField(read_only=True)
    line = serializers.IntegerField(read_only=True, help_text="PO line id")
    line_no = serializers.IntegerField(read_only=True)
    item = serializers.CharField(read_only=True)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6, read_only=True)
    uom = serializers.CharField(read_only=True)
    base_quantity = serializers.DecimalField(max_digits=18, decimal_places=6, read_only=True)
    supplier_lot = serializers.CharField(read_only=True)
    manufactured_on = serializers.DateField(read_only=True, allow_null=True)
    expires_on = serializers.DateField(read_only=True, allow_null=True)
    lot = serializers.CharField(read_only=True, help_text="Our lot number")
    lot_status = serializers.CharField(read_only=True)
    location = serializers.CharField(read_only=True)
    on_time = serializers.BooleanField(read_only=True)
    received_at = serializers.DateTimeField(read_only=True)
    certificate = serializers.CharField(read_only=True, allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    def to_representation(self, r: Receipt) -> dict[str, Any]:
        return {
            "id": r.pk,
            "number": r.number,
            "site": r.site.code,
            "purchase_order": r.line.order.number,
            "line": r.line_id,
            "line_no": r.line.line_no,
            "item": r.line.item.code,
            "quantity": str(r.quantity),
            "uom": r.uom.code,
            "base_quantity": str(r.base_quantity),
            "supplier_lot": r.supplier_lot,
            "manufactured_on": r.manufactured_on.isoformat() if r.manufactured_on else None,
            "expires_on": r.expires_on.isoformat() if r.expires_on else None,
            "lot": r.lot.number,
            "lot_status": r.lot.status,
            "location": r.location.code,
            "on_time": r.on_time,
            "received_at": serializers.DateTimeField().to_representation(r.received_at),
            "certificate": r.certificate.name if r.certificate is not None else None,
            "warnings": list(getattr(r, "warnings", [])),
        }


class ReceiptCreateSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="PO line id")
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    uom = serializers.SlugRelatedField(
        slug_field="code",
        queryset=UnitOfMeasure.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Unit code (default: the line's unit)",
    )
    scan = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="A GS1 scan; its GTIN, lot, dates and serial fill the fields left empty",
    )
    supplier_lot = serializers.CharField(required=False, allow_blank=True, default="")
    manufactured_on = serializers.DateField(required=False, allow_null=True, default=None)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    serials = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    location = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Quarantine location code"
    )
    gtin = serializers.CharField(required=False, allow_blank=True, default="")
    certificate = serializers.FileField(
        required=False, allow_null=True, default=None, help_text="Multipart upload only"
    )


class ReceiptScanSerializer(serializers.Serializer[Any]):
    scan = serializers.CharField(trim_whitespace=False)
    line = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Check the GTIN against it"
    )


class ReceiptScanResultSerializer(serializers.Serializer[Any]):
    gtin = serializers.CharField(required=False)
    supplier_lot = serializers.CharField(required=False)
    manufactured_on = serializers.DateField(required=False)
    expires_on = serializers.DateField(required=False)
    serial = serializers.CharField(required=False)


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# --- views -----------------------------------------------------------------------------------
_ORDER_FILTERS = [
    OpenApiParameter("status", str, enum=list(PoStatus.values)),
    OpenApiParameter("supplier", str, description="Supplier code"),
    OpenApiParameter("site", str, description="Site code"),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description="At most 500"),
]


def _order_filter(request: Request) -> selectors.OrderFilter:
    params = request.query_params
    errors: dict[str, list[str]] = {}
    supplier = site = None
    if params.get("supplier"):
        supplier = Supplier.objects.filter(code=params["supplier"]).first()
        if supplier is None:
            errors["supplier"] = [_("No such supplier.")]
    if params.get("site"):
        site = Site.objects.filter(code=params["site"]).first()
        if site is None:
            errors["site"] = [_("No such site.")]
    state = params.get("status", "")
    if state and state not in PoStatus.values:
        errors["status"] = [_("Unknown status.")]
    if errors:
        raise serializers.ValidationError(errors)
    return selectors.OrderFilter(status=state, supplier=supplier, site=site)


class OrderListCreate(_Api):
    write_permissions = {"POST": services.MANAGE}

    def get_queryset(self) -> QuerySet[PurchaseOrder]:
        return selectors.orders(self.request.user, _order_filter(self.request))

    @extend_schema(
        operation_id="purchase_orders_list",
        parameters=_ORDER_FILTERS,
        responses=PurchaseOrderSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        paginator = Pages()
        page = paginator.paginate_queryset(self.get_queryset(), request, view=self)
        serializer: Any = PurchaseOrderSerializer
        data = serializer(page or [], many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="purchase_orders_create",
        request=PurchaseOrderCreateSerializer,
        responses={201: PurchaseOrderDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = PurchaseOrderCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        order = services.create_order(request.user, **ser.validated_data)
        body = PurchaseOrderDetailSerializer(order, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class OrderDetail(_Api):
    @extend_schema(operation_id="purchase_orders_retrieve", responses=PurchaseOrderDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        order = self.order(pk)
        return Response(PurchaseOrderDetailSerializer(order, context={"request": request}).data)


class OrderLines(_Api):
    write_permissions = {"POST": services.MANAGE}

    @extend_schema(
        operation_id="purchase_order_lines_list", responses=PurchaseOrderLineSerializer(many=True)
    )
    def get(self, request: Request, pk: int) -> Response:
        order = self.order(pk)
        serializer: Any = PurchaseOrderLineSerializer
        lines = selectors.lines_of(order)
        return Response(serializer(lines, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="purchase_order_lines_create",
        request=PurchaseOrderLineCreateSerializer,
        responses={201: PurchaseOrderLineSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = self.order(pk)
        ser = PurchaseOrderLineCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        line = services.add_line(request.user, order, **ser.validated_data)
        body = PurchaseOrderLineSerializer(line, context={"request": request}).data
        body["warnings"] = list(getattr(line, "warnings", []))
        return Response(body, status=status.HTTP_201_CREATED)


class LineDetail(_Api):
    write_permissions = {"PATCH": services.MANAGE, "DELETE": services.MANAGE}

    def line(self, pk: int) -> PurchaseOrderLine:
        line = selectors.line_for(self.request.user, pk, self.required_permission)
        if line is None:
            raise Http404
        return line

    @extend_schema(
        operation_id="purchase_order_lines_retrieve", responses=PurchaseOrderLineSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            PurchaseOrderLineSerializer(self.line(pk), context={"request": request}).data
        )

    @extend_schema(
        operation_id="purchase_order_lines_partial_update",
        request=PurchaseOrderLineUpdateSerializer,
        responses=PurchaseOrderLineSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        line = self.line(pk)
        ser = PurchaseOrderLineUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        changed = services.update_line(request.user, line, **ser.validated_data)
        return Response(PurchaseOrderLineSerializer(changed, context={"request": request}).data)

    @extend_schema(operation_id="purchase_order_lines_destroy", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.remove_line(request.user, self.line(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _OrderAction(_Api):
    action_name = ""

    def run(self, user: Any, order: PurchaseOrder, reason: str) -> PurchaseOrder:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        order = self.order(pk)
        ser = PurchaseOrderReasonSerializer(data=request.data or {})
        ser.is_valid(raise_exception=True)
        done = self.run(request.user, order, ser.validated_data["reason"])
        return Response(PurchaseOrderDetailSerializer(done, context={"request": request}).data)


def _action_schema(name: str, doc: str) -> Any:
    return extend_schema(
        operation_id=f"purchase_orders_{name}",
        request=PurchaseOrderReasonSerializer,
        responses=PurchaseOrderDetailSerializer,
        description=doc,
    )


class OrderSubmit(_OrderAction):
    write_permissions = {"POST": services.MANAGE}

    def run(self, user: Any, order: PurchaseOrder, reason: str) -> PurchaseOrder:
        return services.submit(user, order)

    @_action_schema("submit", "Draft → approved, or awaiting approval above the amount.")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class OrderApprove(_OrderAction):
    write_permissions = {"POST": services.APPROVE}

    def run(self, user: Any, order: PurchaseOrder, reason: str) -> PurchaseOrder:
        return services.approve(user, order, reason=reason)

    @_action_schema("approve", "By someone who neither created nor submitted the order.")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class OrderCancel(_OrderAction):
    write_permissions = {"POST": services.MANAGE}

    def run(self, user: Any, order: PurchaseOrder, reason: str) -> PurchaseOrder:
        return services.cancel(user, order, reason=reason)

    @_action_schema("cancel", "Before anything is received; a reason is required.")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class OrderClose(_OrderAction):
    write_permissions = {"POST": services.MANAGE}

    def run(self, user: Any, order: PurchaseOrder, reason: str) -> PurchaseOrder:
        return services.close(user, order, reason=reason)

    @_action_schema("close", "Nothing more expected; closing short needs a reason.")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class ReceiptListCreate(_Api):
    write_permissions = {"POST": services.RECEIVE}
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="receipts_list",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses=ReceiptSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        paginator = Pages()
        page = paginator.paginate_queryset(selectors.receipts(request.user), request, view=self)
        serializer: Any = ReceiptSerializer
        return paginator.get_paginated_response(serializer(page or [], many=True).data)

    @extend_schema(
        operation_id="receipts_create",
        request=ReceiptCreateSerializer,
        responses={201: ReceiptSerializer},
        description="Receive against a PO line into quarantine (one transaction).",
    )
    def post(self, request: Request) -> Response:
        ser = ReceiptCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        line = selectors.line_for(request.user, data["line"], services.RECEIVE)
        if line is None:
            raise serializers.ValidationError({"line": [_("No such purchase order line.")]})
        serials = list(data["serials"])
        if data["scan"]:
            found = services.parse_scan(data["scan"])
            for name in ("gtin", "supplier_lot", "manufactured_on", "expires_on"):
                if name in found and not data[name]:
                    data[name] = found[name]
            if found.get("serial") and found["serial"] not in serials:
                serials.append(found["serial"])
        location = None
        if data["location"]:
            location = Location.objects.filter(
                site=line.order.site_id, code=data["location"].strip().upper()
            ).first()
            if location is None:
                raise serializers.ValidationError({"location": [_("No such location.")]})
        receipt = services.receive(
            request.user,
            line=line,
            quantity=data["quantity"],
            uom=data["uom"],
            supplier_lot=data["supplier_lot"],
            manufactured_on=data["manufactured_on"],
            expires_on=data["expires_on"],
            serials=serials,
            certificate=data["certificate"],
            location=location,
            gtin=data["gtin"] or None,
        )
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)


class ReceiptDetail(_Api):
    @extend_schema(operation_id="receipts_retrieve", responses=ReceiptSerializer)
    def get(self, request: Request, pk: int) -> Response:
        receipt = selectors.receipt_for(request.user, pk)
        if receipt is None:
            raise Http404
        return Response(ReceiptSerializer(receipt).data)


class ParseScan(_Api):
    """What a GS1 scan fills on a receipt; with `line`, its GTIN is checked against the item."""

    write_permissions = {"POST": services.RECEIVE}

    @extend_schema(
        operation_id="receipts_parse_scan",
        request=ReceiptScanSerializer,
        responses=ReceiptScanResultSerializer,
    )
    def post(self, request: Request) -> Response:
        ser = ReceiptScanSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        found = services.parse_scan(ser.validated_data["scan"])
        if ser.validated_data["line"] is not None:
            line = selectors.line_for(request.user, ser.validated_data["line"], services.RECEIVE)
            if line is None:
                raise serializers.ValidationError({"line": [_("No such purchase order line.")]})
            if found.get("gtin"):
                try:
                    found["gtin"] = services.check_gtin(line.item, found["gtin"])
                except ValidationError as exc:
                    raise serializers.ValidationError({"scan": exc.messages}) from exc
        return Response(ReceiptScanResultSerializer(found).data)
