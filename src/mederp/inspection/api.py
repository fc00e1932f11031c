"""/api/v1/inspection-plans and /api/v1/inspections: plans, starting an inspection of a
received lot, results, the disposition, and the deviation decision with an e-signature.

The deviation approval signs through `mederp.signatures.services.sign` exactly as the page
does: the signer is the authenticated caller (session or API token), the password is in the
request body (never in a URL), and a user with an authenticator app gives its code with every
API signature (an API call has no session to remember the first one).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mederp.api.permissions import RequiredPermission
from mederp.inspection import selectors, services
from mederp.inspection.choices import (
    CharacteristicKind,
    Disposition,
    InspectionStatus,
    PlanStatus,
)
from mederp.inspection.models import Characteristic, Inspection, InspectionPlan, InspectionResult


class PermissionAtAnySite(RequiredPermission):
    """Held at any site: querysets keep callers to their sites, services check the site."""

    site_scoped = False


class _PerMethod(APIView):
    """`required_permission` by HTTP method (reads and writes need different ones)."""

    permission_classes = [PermissionAtAnySite]
    read_permission = "inspection.view"
    write_permission = "inspection.view"

    @property
    def required_permission(self) -> str:
        method = getattr(getattr(self, "request", None), "method", "GET")
        return (
            self.read_permission if method in ("GET", "HEAD", "OPTIONS") else self.write_permission
        )


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# --- serializers ---------------------------------------------------------------------------
_KIND_HELP = "attribute (count of nonconforming units) or variable (measured within limits)"


class CharacteristicSerializer(serializers.ModelSerializer[Characteristic]):
    # A plain string: an enum named "kind" would collide with other apps' "kind" enums in the
    # OpenAPI components.
    kind = serializers.CharField(read_only=True, help_text=_KIND_HELP)

    class Meta:
        model = Characteristic
        fields = ["id", "seq", "name", "method", "kind", "unit", "lower_limit", "upper_limit"]


class PlanSerializer(serializers.ModelSerializer[InspectionPlan]):
    item = serializers.CharField(source="item.code", read_only=True, help_text="Item code")
    characteristics = CharacteristicSerializer(many=True, read_only=True)

    class Meta:
        model = InspectionPlan
        fields = [
            "id",
            "item",
            "revision",
            "aql",
            "level",
            "status",
            "notes",
            "version",
            "characteristics",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CharacteristicInSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField(required=False, min_value=1)
    name = serializers.CharField(max_length=200)
    method = serializers.CharField(max_length=200)
    kind = serializers.CharField(help_text=_KIND_HELP)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    lower_limit = serializers.DecimalField(
        max_digits=18, decimal_places=6, required=False, allow_null=True, default=None
    )
    upper_limit = serializers.DecimalField(
        max_digits=18, decimal_places=6, required=False, allow_null=True, default=None
    )

    def validate_kind(self, value: str) -> str:
        if value not in CharacteristicKind.values:
            raise serializers.ValidationError(_("Choose attribute or variable."))
        return value


class PlanCreateSerializer(serializers.Serializer[Any]):
    item = serializers.CharField(help_text="Item code")
    aql = serializers.CharField(help_text="An AQL column of ISO 2859-1 Table 2-A, e.g. 1.0")
    level = serializers.CharField(default="II", help_text="I, II, III or S-1 … S-4")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    characteristics = CharacteristicInSerializer(many=True, required=False, default=list)
    activate = serializers.BooleanField(
        default=False, help_text="Activate at once (retires the item's active revision)"
    )

    def validate_item(self, value: str) -> Any:
        from mederp.items.models import Item

        item = Item.objects.filter(code__iexact=value.strip()).first()
        if item is None:
            raise serializers.ValidationError(_("No item with code %(code)s.") % {"code": value})
        return item


class ResultSerializer(serializers.ModelSerializer[InspectionResult]):
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)

    class Meta:
        model = InspectionResult
        fields = [
            "characteristic",
            "inspected_quantity",
            "nonconforming",
            "measured_min",
            "measured_max",
            "notes",
            "recorded_at",
            "recorded_by",
        ]
        read_only_fields = fields


class InspectionSerializer(serializers.ModelSerializer[Inspection]):
    site = serializers.CharField(source="site.code", read_only=True)
    lot = serializers.CharField(source="lot.number", read_only=True)
    lot_status = serializers.CharField(source="lot.status", read_only=True)
    item = serializers.CharField(source="lot.item.code", read_only=True)
    receipt = serializers.CharField(source="receipt.number", default=None, read_only=True)
    inspected_by = serializers.CharField(source="inspected_by.username", default=None)
    approved_by = serializers.CharField(source="approved_by.username", default=None)
    results = ResultSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "number",
            "site",
            "lot",
            "lot_status",
            "item",
            "receipt",
            "plan",
            "lot_size",
            "aql",
            "level",
            "code_letter",
            "sample_size",
            "accept_number",
            "reject_number",
            "status",
            "disposition",
            "disposition_reason",
            "inspected_by",
            "decided_at",
            "approved_by",
            "approved_at",
            "version",
            "results",
            "created_at",
        ]
        read_only_fields = fields


class StartSerializer(serializers.Serializer[Any]):
    lot = serializers.CharField(help_text="Lot number of a received lot waiting in quarantine")


class ResultInSerializer(serializers.Serializer[Any]):
    characteristic = serializers.IntegerField(help_text="Characteristic id (of the plan)")
    inspected_quantity = serializers.IntegerField(min_value=1)
    nonconforming = serializers.IntegerField(min_value=0, default=0)
    measured_min = serializers.DecimalField(
        max_digits=18, decimal_places=6, required=False, allow_null=True, default=None
    )
    measured_max = serializers.DecimalField(
        max_digits=18, decimal_places=6, required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required to correct a result"
    )


class DecisionSerializer(serializers.Serializer[Any]):
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DeviationSerializer(serializers.Serializer[Any]):
    approve = serializers.BooleanField(help_text="true: approve (lot released); false: reject")
    password = serializers.CharField(write_only=True, help_text="The signer's password")
    otp = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Authenticator code, if enrolled"
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required to reject"
    )


# --- plans ---------------------------------------------------------------------------------
class PlanListCreate(_PerMethod):
    """Inspection plans (company-wide, as items)."""

    write_permission = services.MANAGE

    @extend_schema(
        operation_id="inspection_plans_list",
        parameters=[
            OpenApiParameter("item", str, description="Item code contains"),
            OpenApiParameter("status", str, enum=PlanStatus.values),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=PlanSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        status_ = request.query_params.get("status", "")
        if status_ and status_ not in PlanStatus.values:
            raise serializers.ValidationError({"status": [_("Unknown status.")]})
        plans = selectors.search_plans(
            request.user, item=request.query_params.get("item", ""), status=status_
        ).prefetch_related("characteristics")
        paginator = Pages()
        page = paginator.paginate_queryset(plans, request, view=self)
        return paginator.get_paginated_response(PlanSerializer(page or [], many=True).data)

    @extend_schema(
        operation_id="inspection_plans_create",
        request=PlanCreateSerializer,
        responses={201: PlanSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = PlanCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        activate = data.pop("activate")
        plan = services.create_plan(request.user, **data)
        if activate:
            plan = services.activate_plan(request.user, plan)
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanDetail(_PerMethod):
    @extend_schema(operation_id="inspection_plans_retrieve", responses=PlanSerializer)
    def get(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_for(request.user, pk)
        if plan is None:
            raise Http404
        return Response(PlanSerializer(plan).data)


# --- inspections ---------------------------------------------------------------------------
def _inspection(request: Request, pk: Any) -> Inspection:
    inspection = selectors.inspection_for(request.user, pk)
    if inspection is None:
        raise Http404
    return inspection


def _out(inspection: Inspection) -> dict[str, Any]:
    return dict(InspectionSerializer(selectors.reload(inspection)).data)


class InspectionListCreate(_PerMethod):
    """Inspections at the caller's sites; POST starts one for a lot waiting in the queue."""

    write_permission = services.PERFORM

    @extend_schema(
        operation_id="inspections_list",
        parameters=[
            OpenApiParameter("status", str, enum=InspectionStatus.values),
            OpenApiParameter("disposition", str, enum=Disposition.values),
            OpenApiParameter("number", str),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=InspectionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        for name, allowed in (
            ("status", InspectionStatus.values),
            ("disposition", Disposition.values),
        ):
            if params.get(name) and params[name] not in allowed:
                raise serializers.ValidationError({name: [_("Unknown value.")]})
        flt = selectors.InspectionFilter(
            status=params.get("status", ""),
            disposition=params.get("disposition", ""),
            number=params.get("number", ""),
        )
        rows = (
            selectors.inspections_visible_to(request.user, flt)
            .select_related("receipt", "inspected_by", "approved_by")
            .prefetch_related("results", "results__recorded_by")
        )
        paginator = Pages()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(InspectionSerializer(page or [], many=True).data)

    @extend_schema(
        operation_id="inspections_start",
        request=StartSerializer,
        responses={201: InspectionSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = StartSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        lot = selectors.queue(request.user).filter(number=ser.validated_data["lot"].strip()).first()
        if lot is None:
            raise serializers.ValidationError(
                {"lot": [_("No lot with this number is waiting for inspection at your sites.")]}
            )
        inspection = services.start_inspection(request.user, lot)
        return Response(_out(inspection), status=status.HTTP_201_CREATED)


class InspectionDetail(_PerMethod):
    @extend_schema(operation_id="inspections_retrieve", responses=InspectionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_out(_inspection(request, pk)))


class InspectionResults(_PerMethod):
    """Record (or, with a reason, correct) the result of one characteristic."""

    write_permission = services.PERFORM

    @extend_schema(
        operation_id="inspections_record_result",
        request=ResultInSerializer,
        responses={201: InspectionSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        inspection = _inspection(request, pk)
        ser = ResultInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        chosen = inspection.plan.characteristics.filter(pk=data.pop("characteristic")).first()
        if chosen is None:
            raise serializers.ValidationError(
                {"characteristic": [_("This characteristic is not in the inspection's plan.")]}
            )
        services.record_result(request.user, inspection, chosen, **data)
        return Response(_out(inspection), status=status.HTTP_201_CREATED)


class InspectionDecision(_PerMethod):
    """Accept, reject, or accept with deviation (then QA approves with an e-signature)."""

    write_permission = services.PERFORM

    @extend_schema(
        operation_id="inspections_decide",
        request=DecisionSerializer,
        responses=InspectionSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        inspection = _inspection(request, pk)
        ser = DecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.decide(
            request.user,
            inspection,
            ser.validated_data["disposition"],
            ser.validated_data["reason"],
        )
        return Response(_out(inspection))


class InspectionDeviation(_PerMethod):
    """QA approves or rejects an acceptance with deviation, signing electronically."""

    write_permission = services.APPROVE

    @extend_schema(
        operation_id="inspections_deviation_decide",
        request=DeviationSerializer,
        responses=InspectionSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        inspection = _inspection(request, pk)
        ser = DeviationSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        decide = services.approve_deviation if data["approve"] else services.reject_deviation
        decide(
            request.user,
            inspection,
            password=data["password"],
            otp=data["otp"] or None,
            reason=data["reason"],
        )
        response = Response(_out(inspection))
        response["Cache-Control"] = "no-store"
        return response
