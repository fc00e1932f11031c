"""/api/v1/items and /api/v1/uoms: the item master over REST.

Items are company-wide master data: the permission may be held at any site. Reading needs
`items.view`; creating `items.manage`; changing a draft `items.manage`, a released item
`items.release` with a `reason` (the service decides, from the item's status); releasing and
obsoleting `items.release`; importing `items.import` (and `items.manage`, which every row's
create needs).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mederp.api.errors import PROBLEM_BASE, PROBLEM_CONTENT_TYPE
from mederp.api.permissions import RequiredPermission
from mederp.core.imports import ImportFileError
from mederp.items import imports, selectors, services
from mederp.items.choices import (
    FdaClass,
    ItemStatus,
    ItemType,
    MdrClass,
    NmpaClass,
    StorageCondition,
    Tracking,
)
from mederp.items.models import Item, UnitOfMeasure


class PermissionAtAnySite(RequiredPermission):
    """Master data is company-wide: the permission held at any site is enough."""

    site_scoped = False


class UnitSerializer(serializers.ModelSerializer[UnitOfMeasure]):
    class Meta:
        model = UnitOfMeasure
        fields = ["code", "name_en", "name_zh", "dimension"]


class ItemSerializer(serializers.ModelSerializer[Item]):
    uom: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    name = serializers.SerializerMethodField(help_text="The name in the request's language")

    class Meta:
        model = Item
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "name_zh",
            "item_type",
            "uom",
            "tracking",
            "shelf_life_days",
            "storage_condition",
            "storage_notes",
            "revision",
            "status",
            "nmpa_class",
            "fda_class",
            "mdr_class",
            "gtin",
            "registration_no",
            "implantable",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_name(self, obj: Item) -> str:
        return selectors.display_name(obj)


def _blank_choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices, allow_blank=True, **kwargs)


class ItemWriteSerializer(serializers.Serializer[Item]):
    """The shape of a new item; the service validates the rest (pattern, GTIN, device rules)."""

    code = serializers.CharField(max_length=40)
    name_en = serializers.CharField(max_length=200)
    name_zh = serializers.CharField(max_length=200)
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    uom = serializers.SlugRelatedField(slug_field="code", queryset=UnitOfMeasure.objects.all())
    tracking = serializers.ChoiceField(choices=Tracking.choices, default=Tracking.LOT)
    shelf_life_days = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None
    )
    storage_condition = serializers.ChoiceField(
        choices=StorageCondition.choices, default=StorageCondition.AMBIENT
    )
    storage_notes = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    revision = serializers.CharField(max_length=10, required=False, default="A")
    nmpa_class = _blank_choice(NmpaClass.choices, required=False, default="")
    fda_class = _blank_choice(FdaClass.choices, required=False, default="")
    mdr_class = _blank_choice(MdrClass.choices, required=False, default="")
    gtin = serializers.CharField(max_length=14, required=False, allow_blank=True, default="")
    registration_no = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    implantable = serializers.BooleanField(required=False, default=False)


class ItemUpdateSerializer(serializers.Serializer[Item]):
    code = serializers.CharField(max_length=40, required=False)
    name_en = serializers.CharField(max_length=200, required=False)
    name_zh = serializers.CharField(max_length=200, required=False)
    item_type = serializers.ChoiceField(choices=ItemType.choices, required=False)
    uom = serializers.SlugRelatedField(
        slug_field="code", queryset=UnitOfMeasure.objects.all(), required=False
    )
    tracking = serializers.ChoiceField(choices=Tracking.choices, required=False)
    shelf_life_days = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    storage_condition = serializers.ChoiceField(choices=StorageCondition.choices, required=False)
    storage_notes = serializers.CharField(max_length=200, required=False, allow_blank=True)
    revision = serializers.CharField(max_length=10, required=False)
    nmpa_class = _blank_choice(NmpaClass.choices, required=False)
    fda_class = _blank_choice(FdaClass.choices, required=False)
    mdr_class = _blank_choice(MdrClass.choices, required=False)
    gtin = serializers.CharField(max_length=14, required=False, allow_blank=True)
    registration_no = serializers.CharField(max_length=60, required=False, allow_blank=True)
    implantable = serializers.BooleanField(required=False)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the item is released (kept in the audit trail)",
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The version you edited: refused if the item changed since",
    )


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ObsoleteSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Why the item becomes obsolete (audited)")


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV (UTF-8, comma or semicolon) or XLSX")


class RowErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Row number in the file (the header is row 1)")
    column = serializers.CharField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    ok = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    # A field named like Serializer.errors: DRF's metaclass takes it out of the class.
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]


class ImportProblemSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    rows = serializers.IntegerField(required=False)
    errors = RowErrorSerializer(many=True, required=False)  # type: ignore[assignment]


class ItemPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


_FILTERS = [
    OpenApiParameter("item_type", str, enum=list(ItemType.values)),
    OpenApiParameter("status", str, enum=list(ItemStatus.values)),
    OpenApiParameter("tracking", str, enum=list(Tracking.values)),
    OpenApiParameter("q", str, description="Text in the code or either name"),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description="At most 500"),
]


def _filter_from(request: Request) -> selectors.ItemFilter:
    params = request.query_params
    flt = selectors.ItemFilter(
        item_type=params.get("item_type", ""),
        status=params.get("status", ""),
        tracking=params.get("tracking", ""),
        q=params.get("q", "")[:100],
    )
    bad = flt.problems()
    if bad:
        raise serializers.ValidationError(
            {
                name: [_("Unknown value %(value)s.") % {"value": value}]
                for name, value in bad.items()
            }
        )
    return flt


class _ItemsView(APIView):
    # Reads need items.view. A write is then authorized by its service, first thing in its
    # transaction (items.manage / items.release depend on the item's status, read there).
    required_permission = "items.view"
    permission_classes = [PermissionAtAnySite]

    def get_item(self, pk: Any) -> Item:
        item = selectors.item_for(self.request.user, pk)
        if item is None:
            raise Http404
        return item


class ItemListCreate(_ItemsView):
    """Items, filtered and paginated; POST creates a draft item."""

    @extend_schema(
        operation_id="items_list", parameters=_FILTERS, responses=ItemSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        paginator = ItemPagination()
        page = paginator.paginate_queryset(
            selectors.items(request.user, _filter_from(request)), request, view=self
        )
        serializer: Any = ItemSerializer
        return paginator.get_paginated_response(serializer(page or [], many=True).data)

    @extend_schema(
        operation_id="items_create", request=ItemWriteSerializer, responses={201: ItemSerializer}
    )
    def post(self, request: Request) -> Response:
        ser = ItemWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = services.create_item(request.user, **ser.validated_data)
        return Response(ItemSerializer(item).data, status=status.HTTP_201_CREATED)


class ItemDetail(_ItemsView):
    @extend_schema(operation_id="items_retrieve", responses=ItemSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ItemSerializer(self.get_item(pk)).data)

    @extend_schema(
        operation_id="items_partial_update", request=ItemUpdateSerializer, responses=ItemSerializer
    )
    def patch(self, request: Request, pk: int) -> Response:
        item = self.get_item(pk)
        ser = ItemUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason", "")
        version = data.pop("version", None)
        item = services.update_item(
            request.user, item, data, reason=reason, expected_version=version
        )
        return Response(ItemSerializer(item).data)


class ItemRelease(_ItemsView):
    required_permission = "items.release"

    @extend_schema(operation_id="items_release", request=ReasonSerializer, responses=ItemSerializer)
    def post(self, request: Request, pk: int) -> Response:
        item = self.get_item(pk)
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = services.release_item(request.user, item, reason=ser.validated_data["reason"])
        return Response(ItemSerializer(item).data)


class ItemObsolete(_ItemsView):
    required_permission = "items.release"

    @extend_schema(
        operation_id="items_obsolete", request=ObsoleteSerializer, responses=ItemSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        item = self.get_item(pk)
        ser = ObsoleteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = services.obsolete_item(request.user, item, reason=ser.validated_data["reason"])
        return Response(ItemSerializer(item).data)


class ItemImport(_ItemsView):
    """The whole file or nothing: 201 with the count, or 400 with every row's errors."""

    required_permission = "items.import"
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="items_import",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: ImportResultSerializer,
            400: OpenApiResponse(ImportProblemSerializer, description="Nothing was imported"),
        },
    )
    def post(self, request: Request) -> Response:
        ser = ImportUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        upload = ser.validated_data["file"]
        try:
            result = imports.import_items(request.user, upload.read(), filename=upload.name)
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


class UnitList(APIView):
    """Every unit of measure (a short, fixed list: not paginated)."""

    required_permission = "items.view"
    permission_classes = [PermissionAtAnySite]

    @extend_schema(operation_id="uoms_list", responses=UnitSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(UnitSerializer(selectors.units(request.user), many=True).data)
