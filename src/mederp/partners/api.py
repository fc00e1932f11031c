"""/api/v1/suppliers and /api/v1/customers: partner master data over REST.

Suppliers and customers are company-wide: a permission held at any site is enough. Reading
needs `partners.view`; writing what the service checks first (`partners.manage_suppliers`,
`partners.qualify_suppliers` for the status and the approved supplier list,
`partners.manage_customers`, `partners.import`). Contact persons are not served here: they are
RESTRICTED and live in /api/v1/people (masked there).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mederp.api.errors import PROBLEM_BASE, PROBLEM_CONTENT_TYPE
from mederp.api.permissions import RequiredPermission
from mederp.core.imports import ImportFileError
from mederp.items.models import Item
from mederp.partners import imports, selectors, services
from mederp.partners.choices import (
    CertificateKind,
    CustomerKind,
    CustomerStatus,
    LicenceType,
    SupplierStatus,
)
from mederp.partners.models import (
    ApprovedSupplierItem,
    Customer,
    Supplier,
    SupplierCertificate,
)


def _one_of(values: list[str], **kwargs: Any) -> serializers.CharField:
    """A choice as a plain string in the schema (with its values in the description): the
    project's enum names would collide on "kind" and "status" across apps."""

    def check(value: str) -> None:
        if value and value not in values:
            raise serializers.ValidationError(
                _("%(value)s is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(values)}
            )

    help_text = kwargs.pop("help_text", "") or "One of: " + ", ".join(values)
    return serializers.CharField(validators=[check], help_text=help_text, **kwargs)


class PermissionAtAnySite(RequiredPermission):
    """Master data is company-wide: the permission held at any site is enough."""

    site_scoped = False


# --- serializers ---------------------------------------------------------------------------------
class SupplierSerializer(serializers.ModelSerializer[Supplier]):
    status = _one_of(list(SupplierStatus.values), read_only=True)
    certificate_state = serializers.SerializerMethodField(
        help_text="Worst state of the current certificates: expired, expiring, valid or empty"
    )

    class Meta:
        model = Supplier
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "country",
            "address",
            "status",
            "status_changed_at",
            "certificate_state",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    def get_certificate_state(self, obj: Supplier) -> str:
        return selectors.supplier_certificate_state(obj)


class SupplierWriteSerializer(serializers.Serializer[Supplier]):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    name_zh = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, required=False, default="CN")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class SupplierUpdateSerializer(serializers.Serializer[Supplier]):
    name = serializers.CharField(max_length=200, required=False)
    name_zh = serializers.CharField(max_length=200, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class StatusChangeSerializer(serializers.Serializer[Any]):
    to_status = _one_of(list(SupplierStatus.values))
    reason = serializers.CharField(help_text="Why the status changes (kept in the history)")


class ApprovedItemSerializer(serializers.ModelSerializer[ApprovedSupplierItem]):
    item: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    blocked = serializers.SerializerMethodField(
        help_text="True when the supplier may not supply now (pending or disqualified)"
    )

    class Meta:
        model = ApprovedSupplierItem
        fields = [
            "id",
            "item",
            "manufacturer",
            "manufacturer_part_no",
            "active",
            "blocked",
            "approved_at",
            "notes",
            "version",
        ]
        read_only_fields = fields

    def get_blocked(self, obj: ApprovedSupplierItem) -> bool:
        return not selectors.supplier_may_supply(obj.supplier)


class ApprovedItemWriteSerializer(serializers.Serializer[Any]):
    item: Any = serializers.SlugRelatedField(slug_field="code", queryset=Item.objects.all())
    manufacturer_part_no = serializers.CharField(max_length=60)
    manufacturer = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PartnerReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Why (kept in the audit trail)")


class CertificateSerializer(serializers.ModelSerializer[SupplierCertificate]):
    kind = _one_of(list(CertificateKind.values), read_only=True)
    state = serializers.SerializerMethodField(help_text="expired, expiring or valid")
    attachment_name = serializers.SerializerMethodField()

    class Meta:
        model = SupplierCertificate
        fields = [
            "id",
            "kind",
            "number",
            "issuer",
            "valid_from",
            "expires_on",
            "state",
            "attachment_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_state(self, obj: SupplierCertificate) -> str:
        return selectors.certificate_state(obj.expires_on)

    def get_attachment_name(self, obj: SupplierCertificate) -> str:
        return obj.attachment.name if obj.attachment_id and obj.attachment else ""


class CertificateWriteSerializer(serializers.Serializer[Any]):
    kind = _one_of(list(CertificateKind.values))
    number = serializers.CharField(max_length=80)
    issuer = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    expires_on = serializers.DateField()
    file = serializers.FileField(
        help_text="The scanned certificate (PDF, PNG or JPEG, at most 20 MB): required, a "
        "certificate without its scan does not count"
    )


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    kind = _one_of(list(CustomerKind.values), read_only=True)
    licence_type = _one_of(list(LicenceType.values), read_only=True)
    status = _one_of(list(CustomerStatus.values), read_only=True)
    licence_state = serializers.SerializerMethodField(help_text="expired, expiring, valid or empty")

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "kind",
            "country",
            "address",
            "licence_type",
            "licence_no",
            "licence_expires_on",
            "licence_state",
            "status",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    def get_licence_state(self, obj: Customer) -> str:
        return selectors.certificate_state(obj.licence_expires_on)


class CustomerWriteSerializer(serializers.Serializer[Customer]):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    name_zh = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = _one_of(list(CustomerKind.values))
    country = serializers.CharField(max_length=2, required=False, default="CN")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    licence_type = _one_of(list(LicenceType.values), required=False, allow_blank=True, default="")
    licence_no = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    licence_expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class CustomerUpdateSerializer(serializers.Serializer[Customer]):
    name = serializers.CharField(max_length=200, required=False)
    name_zh = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = _one_of(list(CustomerKind.values), required=False)
    country = serializers.CharField(max_length=2, required=False)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    licence_type = _one_of(list(LicenceType.values), required=False, allow_blank=True)
    licence_no = serializers.CharField(max_length=80, required=False, allow_blank=True)
    licence_expires_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CustomerStatusSerializer(serializers.Serializer[Any]):
    status = _one_of(list(CustomerStatus.values))
    reason = serializers.CharField(help_text="Why the status changes (kept in the audit trail)")


class PartnerImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV (UTF-8, comma or semicolon) or XLSX")


class PartnerImportRowErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Row number in the file (the header is row 1)")
    column = serializers.CharField()
    message = serializers.CharField()


class PartnerImportResultSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    ok = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    errors: Any = PartnerImportRowErrorSerializer(many=True)


class PartnerImportProblemSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    rows = serializers.IntegerField(required=False)
    errors: Any = PartnerImportRowErrorSerializer(many=True, required=False)


class PartnerPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# --- views ---------------------------------------------------------------------------------------
class _PartnerView(APIView):
    permission_classes = [PermissionAtAnySite]
    write_permission = services.MANAGE_SUPPLIERS

    @property
    def required_permission(self) -> str:
        # Reads need partners.view; a write needs what the service checks first, so that a
        # caller without it is refused before any parsing.
        method = getattr(getattr(self, "request", None), "method", "GET")
        return "partners.view" if method in ("GET", "HEAD", "OPTIONS") else self.write_permission

    def get_supplier(self, pk: Any) -> Supplier:
        supplier = Supplier.objects.filter(pk=pk).first()
        if supplier is None:
            raise Http404
        return supplier

    def get_customer(self, pk: Any) -> Customer:
        customer = Customer.objects.filter(pk=pk).first()
        if customer is None:
            raise Http404
        return customer


def _choice_param(request: Request, name: str, allowed: list[str]) -> str:
    value = request.query_params.get(name, "")
    if value and value not in allowed:
        raise serializers.ValidationError(
            {name: [_("Unknown value %(value)s.") % {"value": value}]}
        )
    return value


def _page(view: APIView, request: Request, rows: Any, serializer: Any) -> Response:
    paginator = PartnerPagination()
    page: Any = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(serializer(page or [], many=True).data)


class SupplierListCreate(_PartnerView):
    @extend_schema(
        operation_id="suppliers_list",
        parameters=[
            OpenApiParameter("status", str, enum=list(SupplierStatus.values)),
            OpenApiParameter("certificate", str, enum=["expired", "expiring", "valid", "none"]),
            OpenApiParameter("q", str, description="Text in the code or either name"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 500"),
        ],
        responses=SupplierSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.suppliers(
            status=_choice_param(request, "status", list(SupplierStatus.values)),
            certificate=_choice_param(
                request, "certificate", ["expired", "expiring", "valid", "none"]
            ),
            search=request.query_params.get("q", "")[:100],
        )
        return _page(self, request, rows, SupplierSerializer)

    @extend_schema(
        operation_id="suppliers_create",
        request=SupplierWriteSerializer,
        responses={201: SupplierSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = SupplierWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        supplier = services.create_supplier(request.user, **ser.validated_data)
        return Response(SupplierSerializer(supplier).data, status=status.HTTP_201_CREATED)


class SupplierDetail(_PartnerView):
    @extend_schema(operation_id="suppliers_retrieve", responses=SupplierSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SupplierSerializer(self.get_supplier(pk)).data)

    @extend_schema(
        operation_id="suppliers_partial_update",
        request=SupplierUpdateSerializer,
        responses=SupplierSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        supplier = self.get_supplier(pk)
        ser = SupplierUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason", "")
        supplier = services.update_supplier(request.user, supplier, reason=reason, **data)
        return Response(SupplierSerializer(supplier).data)


class SupplierStatusView(_PartnerView):
    write_permission = services.QUALIFY_SUPPLIERS

    @extend_schema(
        operation_id="suppliers_status",
        request=StatusChangeSerializer,
        responses=SupplierSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        supplier = self.get_supplier(pk)
        ser = StatusChangeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        supplier = services.change_supplier_status(request.user, supplier, **ser.validated_data)
        return Response(SupplierSerializer(supplier).data)


class SupplierApprovedItems(_PartnerView):
    write_permission = services.QUALIFY_SUPPLIERS

    @extend_schema(
        operation_id="suppliers_approved_items_list",
        responses=ApprovedItemSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        supplier = self.get_supplier(pk)
        rows = supplier.approved_items.select_related("item", "supplier").order_by("item__code")
        return Response(ApprovedItemSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="suppliers_approved_items_create",
        request=ApprovedItemWriteSerializer,
        responses={201: ApprovedItemSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        supplier = self.get_supplier(pk)
        ser = ApprovedItemWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        entry = services.add_approved_item(request.user, supplier, **ser.validated_data)
        return Response(ApprovedItemSerializer(entry).data, status=status.HTTP_201_CREATED)


class SupplierApprovedItemDeactivate(_PartnerView):
    write_permission = services.QUALIFY_SUPPLIERS

    @extend_schema(
        operation_id="suppliers_approved_items_deactivate",
        request=PartnerReasonSerializer,
        responses=ApprovedItemSerializer,
    )
    def post(self, request: Request, pk: int, entry: int) -> Response:
        supplier = self.get_supplier(pk)
        row = supplier.approved_items.filter(pk=entry).first()
        if row is None:
            raise Http404
        ser = PartnerReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        row = services.deactivate_approved_item(request.user, row, **ser.validated_data)
        return Response(ApprovedItemSerializer(row).data)


class SupplierCertificates(_PartnerView):
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(
        operation_id="suppliers_certificates_list", responses=CertificateSerializer(many=True)
    )
    def get(self, request: Request, pk: int) -> Response:
        supplier = self.get_supplier(pk)
        rows = supplier.certificates.select_related("attachment").order_by("kind", "-expires_on")
        return Response(CertificateSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="suppliers_certificates_create",
        request={"multipart/form-data": CertificateWriteSerializer},
        responses={201: CertificateSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        supplier = self.get_supplier(pk)
        ser = CertificateWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        upload = data.pop("file")
        try:
            cert = services.add_certificate(request.user, supplier, upload=upload, **data)
        except ValidationError as exc:
            # The scan's problems under the request's field name.
            errors = getattr(exc, "message_dict", None)
            if errors and "attachment" in errors:
                raise serializers.ValidationError({"file": errors["attachment"]}) from exc
            raise
        return Response(CertificateSerializer(cert).data, status=status.HTTP_201_CREATED)


class CustomerListCreate(_PartnerView):
    write_permission = services.MANAGE_CUSTOMERS

    @extend_schema(
        operation_id="customers_list",
        parameters=[
            OpenApiParameter("status", str, enum=list(CustomerStatus.values)),
            OpenApiParameter("kind", str, enum=list(CustomerKind.values)),
            OpenApiParameter("q", str, description="Text in the code or either name"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 500"),
        ],
        responses=CustomerSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.customers(
            status=_choice_param(request, "status", list(CustomerStatus.values)),
            kind=_choice_param(request, "kind", list(CustomerKind.values)),
            search=request.query_params.get("q", "")[:100],
        )
        return _page(self, request, rows, CustomerSerializer)

    @extend_schema(
        operation_id="customers_create",
        request=CustomerWriteSerializer,
        responses={201: CustomerSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = CustomerWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        customer = services.create_customer(request.user, **ser.validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetail(_PartnerView):
    write_permission = services.MANAGE_CUSTOMERS

    @extend_schema(operation_id="customers_retrieve", responses=CustomerSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CustomerSerializer(self.get_customer(pk)).data)

    @extend_schema(
        operation_id="customers_partial_update",
        request=CustomerUpdateSerializer,
        responses=CustomerSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        customer = self.get_customer(pk)
        ser = CustomerUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason", "")
        customer = services.update_customer(request.user, customer, reason=reason, **data)
        return Response(CustomerSerializer(customer).data)


class CustomerStatusView(_PartnerView):
    write_permission = services.MANAGE_CUSTOMERS

    @extend_schema(
        operation_id="customers_status",
        request=CustomerStatusSerializer,
        responses=CustomerSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = self.get_customer(pk)
        ser = CustomerStatusSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        customer = services.set_customer_status(request.user, customer, **ser.validated_data)
        return Response(CustomerSerializer(customer).data)


class _Import(_PartnerView):
    """The whole file or nothing: 201 with the count, or 400 with every row's errors."""

    write_permission = "partners.import"
    parser_classes = [MultiPartParser]
    kind = "suppliers"

    def post(self, request: Request) -> Response:
        ser = PartnerImportUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        upload = ser.validated_data["file"]
        try:
            result = imports.run(self.kind, request.user, upload.read(), filename=upload.name)
        except ImportFileError as exc:
            return self._problem(request, " ".join(exc.messages))
        if not result.ok:
            detail = _("%(count)d problem(s) in the file; nothing was imported.") % {
                "count": len(result.errors)
            }
            return self._problem(
                request, detail, rows=result.rows, errors=[e.as_dict() for e in result.errors]
            )
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)

    def _problem(self, request: Request, detail: str, **extra: Any) -> Response:
        body = {
            "type": f"{PROBLEM_BASE}import_rejected",
            "title": _("Invalid request"),
            "status": 400,
            "detail": detail,
            "instance": request.get_full_path(),
            **extra,
        }
        return Response(body, status=400, content_type=PROBLEM_CONTENT_TYPE)


_IMPORT_SCHEMA: dict[str, Any] = {
    "request": {"multipart/form-data": PartnerImportUploadSerializer},
    "responses": {
        201: PartnerImportResultSerializer,
        400: OpenApiResponse(PartnerImportProblemSerializer, description="Nothing was imported"),
    },
}


class SupplierImport(_Import):
    kind = "suppliers"

    @extend_schema(operation_id="suppliers_import", **_IMPORT_SCHEMA)
    def post(self, request: Request) -> Response:
        return super().post(request)


class CustomerImport(_Import):
    kind = "customers"

    @extend_schema(operation_id="customers_import", **_IMPORT_SCHEMA)
    def post(self, request: Request) -> Response:
        return super().post(request)
