"""/api/v1/people: contact records with masked RESTRICTED values, and the audited reveal.

Personal data never travels in a URL (URLs end up in access logs, browser histories and the
ledger's API-call entries): exact search by email or phone is POST /api/v1/people/search.

Values are masked unless the caller holds people.view_restricted at the record's site
(`restricted_values` says which). POST /api/v1/people/{id}/reveal with a reason returns one
record's clear values to a holder of data.reveal and writes a `reveal` ledger entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mederp.api.permissions import RequiredPermission
from mederp.data import masking, selectors, services
from mederp.data.models import Person
from mederp.identity.models import Site

SHOWN = ["name", "phone", "email", "birth_date"]


def list_columns(shown: Sequence[str] = SHOWN) -> list[str]:
    """What a list row shows (PersonSerializer): a list fetches these columns and opens the
    `shown` encrypted fields of the whole page in one pass (bench/crypto.py lists the plain
    baseline the same way)."""
    return [
        *("id", "reference", "site", "kind", "organisation"),
        *shown,
        *("erased_at", "version", "updated_at"),
    ]


LIST_COLUMNS = list_columns()


def list_queryset(people: QuerySet[Person], shown: Sequence[str] = SHOWN) -> QuerySet[Person]:
    return people.only(*list_columns(shown)).open_fields(*shown)  # type: ignore[attr-defined]


class PermissionAtAnySite(RequiredPermission):
    """The view's `required_permission` (and API token scope), held at any site: the list
    spans sites and its queryset keeps each caller to the sites where they hold it."""

    site_scoped = False


class PersonSerializer(serializers.Serializer[Person]):
    id = serializers.UUIDField(read_only=True)
    reference = serializers.CharField(read_only=True)
    site = serializers.CharField(read_only=True, help_text="Site code")
    kind = serializers.ChoiceField(choices=Person.Kind.choices, read_only=True)
    organisation = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, help_text="Masked unless shown in clear")
    phone = serializers.CharField(read_only=True, help_text="Masked unless shown in clear")
    email = serializers.CharField(read_only=True, help_text="Masked unless shown in clear")
    birth_date = serializers.CharField(read_only=True, help_text="Masked unless shown in clear")
    restricted_values = serializers.ChoiceField(
        choices=["masked", "clear", "erased"],
        read_only=True,
        help_text="How the RESTRICTED fields of this record are shown to the caller",
    )
    version = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Person) -> dict[str, Any]:
        user = self.context["request"].user
        shown = self.context.get("shown", SHOWN)
        clear = masking.may_see_clear(user, instance)
        state = "erased" if instance.is_erased else ("clear" if clear else "masked")
        return {
            "id": str(instance.pk),
            "reference": instance.reference,
            "site": instance.site.code,
            "kind": instance.kind,
            "organisation": instance.organisation,
            **masking.present_all(instance, shown, clear),
            "restricted_values": state,
            "version": instance.version,
            "updated_at": serializers.DateTimeField().to_representation(instance.updated_at),
        }


class PersonCreateSerializer(serializers.Serializer[Person]):
    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.all())
    kind = serializers.ChoiceField(choices=Person.Kind.choices, default=Person.Kind.CUSTOMER)
    organisation = serializers.CharField(required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    preferences = serializers.DictField(required=False, default=dict)
    id_number = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        help_text="Kept only as a keyed one-way hash",
    )


class PersonUpdateSerializer(serializers.Serializer[Person]):
    kind = serializers.ChoiceField(choices=Person.Kind.choices, required=False)
    organisation = serializers.CharField(required=False, allow_blank=True)
    name = serializers.CharField(required=False, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    preferences = serializers.DictField(required=False)
    id_number = serializers.CharField(required=False, allow_blank=True, write_only=True)
    reason = serializers.CharField(help_text="Why the record changes (kept in the audit trail)")


class RevealRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Why you need the clear values (audited)")


class RevealedSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    birth_date = serializers.CharField()
    notes = serializers.CharField()
    preferences = serializers.CharField(help_text="JSON text")


class PeoplePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


_FILTERS = [
    OpenApiParameter("kind", str, enum=[k for k, _ in Person.Kind.choices]),
    OpenApiParameter("site", str, description="Site code"),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description="At most 1000"),
]


def _filter_from(request: Request) -> selectors.PersonFilter:
    params = request.query_params
    site = None
    if params.get("site"):
        site = Site.objects.filter(code=params["site"]).first()
        if site is None:
            raise serializers.ValidationError({"site": [_("No such site.")]})
    kind = params.get("kind", "")
    if kind and kind not in Person.Kind.values:
        raise serializers.ValidationError({"kind": [_("Unknown kind.")]})
    return selectors.PersonFilter(kind=kind, site=site)


class PersonListCreate(APIView):
    """Contact people of the sites where the caller holds people.view."""

    required_permission = "people.view"
    permission_classes = [PermissionAtAnySite]
    # The RESTRICTED fields a row shows (a subclass may show fewer: bench/crypto.py lists
    # three, as the performance target states it).
    shown: ClassVar[Sequence[str]] = SHOWN

    def get_queryset(self) -> QuerySet[Person]:
        people = selectors.search_people(self.request.user, _filter_from(self.request))
        return list_queryset(people, self.shown)

    @extend_schema(
        operation_id="people_list", parameters=_FILTERS, responses=PersonSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        paginator = PeoplePagination()
        page = paginator.paginate_queryset(self.get_queryset(), request, view=self)
        serializer: Any = PersonSerializer
        context = {"request": request, "shown": self.shown}
        data = serializer(page or [], many=True, context=context).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="people_create",
        request=PersonCreateSerializer,
        responses={201: PersonSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = PersonCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        person = services.create_person(request.user, **ser.validated_data)
        return Response(
            PersonSerializer(person, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class SearchSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("email") or "").strip() and not (attrs.get("phone") or "").strip():
            raise serializers.ValidationError(_("Give an email or a phone number."))
        return attrs


class PersonSearch(APIView):
    """Exact match on email or phone (through their blind indexes), in the request body."""

    required_permission = "people.view"
    permission_classes = [PermissionAtAnySite]

    @extend_schema(
        operation_id="people_search",
        request=SearchSerializer,
        responses=PersonSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        ser = SearchSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        flt = selectors.PersonFilter(
            email=ser.validated_data["email"].strip(), phone=ser.validated_data["phone"].strip()
        )
        people = list(list_queryset(selectors.search_people(request.user, flt))[:100])
        serializer: Any = PersonSerializer
        return Response(serializer(people, many=True, context={"request": request}).data)


class _OnePerson(APIView):
    required_permission = "people.view"
    permission_classes = [PermissionAtAnySite]

    def get_person(self, pk: Any) -> Person:
        person = selectors.person_for(self.request.user, pk)
        if person is None:
            raise Http404
        return person


class PersonDetail(_OnePerson):
    @extend_schema(operation_id="people_retrieve", responses=PersonSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(PersonSerializer(self.get_person(pk), context={"request": request}).data)

    @extend_schema(
        operation_id="people_partial_update",
        request=PersonUpdateSerializer,
        responses=PersonSerializer,
    )
    def patch(self, request: Request, pk: str) -> Response:
        person = self.get_person(pk)
        ser = PersonUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason", "")
        person = services.update_person(request.user, person, reason=reason, **data)
        return Response(PersonSerializer(person, context={"request": request}).data)


class PersonReveal(_OnePerson):
    """One record's RESTRICTED values in clear, with a reason; audited (`reveal`)."""

    required_permission = "data.reveal"

    @extend_schema(
        operation_id="people_reveal", request=RevealRequestSerializer, responses=RevealedSerializer
    )
    def post(self, request: Request, pk: str) -> Response:
        person = self.get_person(pk)
        ser = RevealRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        values = services.reveal(request.user, person, reason=ser.validated_data["reason"])
        body = {"id": str(person.pk), "reference": person.reference, **values}
        body["preferences"] = str(body.get("preferences") or "")
        response = Response(RevealedSerializer(body).data)
        response["Cache-Control"] = "no-store"
        return response
