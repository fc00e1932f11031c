"""Item pages: list with filters, record page with tabs, create/edit, release/obsolete,
conversions, and the whole-file import.

Items are company-wide master data: each view needs its permission at one site at least.
Writes go through the services, whose errors come back as form errors.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mederp.core.imports import ImportFileError
from mederp.identity.authz import authorize, has_perm
from mederp.items import imports, selectors, services
from mederp.items.choices import ItemStatus
from mederp.items.forms import (
    ConversionForm,
    ImportForm,
    ItemFilterForm,
    ItemForm,
    OptionalReasonForm,
    ReasonForm,
    apply_errors,
)
from mederp.items.models import Item

View = Callable[..., HttpResponse]
TABS = [
    ("details", gettext_lazy("Details")),
    ("units", gettext_lazy("Units & conversions")),
    ("suppliers", gettext_lazy("Approved suppliers")),
    ("lots", gettext_lazy("Lots")),
    ("audit", gettext_lazy("Audit trail")),
]
DETAIL_FIELDS = (
    "code",
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
    "version",
)
DEVICE_FIELDS = ("nmpa_class", "fda_class", "mdr_class", "gtin", "registration_no", "implantable")


def requires_somewhere(perm: str) -> Callable[[View], View]:
    """Sign-in and `perm` at one site at least (master data is company-wide)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            authorize(request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _item(request: HttpRequest, pk: Any) -> Item:
    item = selectors.item_for(request.user, pk)
    if item is None:
        raise Http404(_("No such item."))
    return item


def _rows(item: Item, names: tuple[str, ...]) -> list[tuple[str, Any]]:
    out = []
    for name in names:
        field = Item._meta.get_field(name)
        display = getattr(item, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(item, name)
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        out.append((str(getattr(field, "verbose_name", name)), value))
    return out


@require_GET
@requires_somewhere("items.view")
def item_list(request: HttpRequest) -> HttpResponse:
    form = ItemFilterForm(request.GET or None)
    valid = form.is_bound and form.is_valid()
    qs = selectors.items(request.user, form.to_filter() if valid else None)
    if form.is_bound and not valid:
        qs = qs.none()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [(i, selectors.display_name(i)) for i in page.object_list],
        "query": params.urlencode(),
        "can_create": has_perm(request.user, "items.manage"),
        "can_import": has_perm(request.user, "items.import"),
    }
    return render(request, "items/item_list.html", context)


def _detail(
    request: HttpRequest, item: Item, *, status: int = 200, tab: str = "", **forms: Any
) -> HttpResponse:
    user = request.user
    tab = tab or request.GET.get("tab", "details")
    if tab not in dict(TABS):
        tab = "details"
    released = item.status == ItemStatus.RELEASED
    context: dict[str, Any] = {
        "item": item,
        "name": selectors.display_name(item),
        "tabs": TABS,
        "tab": tab,
        "can_edit": (item.status == ItemStatus.DRAFT and has_perm(user, "items.manage"))
        or (released and has_perm(user, "items.release")),
        "can_release": item.status == ItemStatus.DRAFT and has_perm(user, "items.release"),
        "can_obsolete": item.status != ItemStatus.OBSOLETE and has_perm(user, "items.release"),
        "can_convert": (item.status == ItemStatus.DRAFT and has_perm(user, "items.manage"))
        or (released and has_perm(user, "items.release")),
        "release_form": forms.get("release_form") or OptionalReasonForm(prefix="release"),
        "obsolete_form": forms.get("obsolete_form") or ReasonForm(prefix="obsolete"),
        "conversion_form": forms.get("conversion_form")
        or ConversionForm(prefix="conversion", item=item),
        "release_problems": services.release_problems(item) if item.status == "draft" else {},
    }
    if tab == "details":
        context["details"] = _rows(item, DETAIL_FIELDS)
        context["device"] = _rows(item, DEVICE_FIELDS)
    elif tab == "units":
        context["conversions"] = selectors.conversions_for(item)
    elif tab == "suppliers":
        context["suppliers"] = selectors.approved_suppliers(user, item)
    elif tab == "lots":
        context["lots"] = list(selectors.lots(user, item)[:200])
    return render(request, "items/item_detail.html", context, status=status)


@require_GET
@requires_somewhere("items.view")
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _item(request, pk))


@require_http_methods(["GET", "POST"])
@requires_somewhere("items.manage")
def item_create(request: HttpRequest) -> HttpResponse:
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.create_item(request.user, **form.changes())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Item %(code)s created as a draft.") % {"code": item.code})
            return redirect("items:detail", pk=item.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "items/item_form.html", {"form": form, "item": None}, status=status)


@require_http_methods(["GET", "POST"])
@requires_somewhere("items.view")
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    if item.status == ItemStatus.OBSOLETE:
        messages.error(request, _("An obsolete item can no longer be changed."))
        return redirect("items:detail", pk=item.pk)
    # A draft changes under items.manage, a released item under items.release.
    authorize(request.user, "items.release" if item.status == "released" else "items.manage")
    form = ItemForm(request.POST or None, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.update_item(
                request.user,
                item,
                form.changes(),
                reason=form.cleaned_data.get("reason", ""),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Item %(code)s saved (version %(v)d).") % {"code": item.code, "v": item.version},
            )
            return redirect("items:detail", pk=item.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "items/item_form.html", {"form": form, "item": item}, status=status)


@require_POST
@requires_somewhere("items.release")
def item_release(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = OptionalReasonForm(request.POST, prefix="release")
    if form.is_valid():
        try:
            services.release_item(request.user, item, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Item %(code)s released.") % {"code": item.code})
            return redirect("items:detail", pk=item.pk)
    return _detail(request, item, status=400, release_form=form)


@require_POST
@requires_somewhere("items.release")
def item_obsolete(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = ReasonForm(request.POST, prefix="obsolete")
    if form.is_valid():
        try:
            services.obsolete_item(request.user, item, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Item %(code)s is now obsolete.") % {"code": item.code})
            return redirect("items:detail", pk=item.pk)
    return _detail(request, item, status=400, obsolete_form=form)


@require_POST
@requires_somewhere("items.view")
def conversion_add(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    # A draft's conversion needs items.manage; a released item's items.release and a reason.
    authorize(request.user, "items.release" if item.status == "released" else "items.manage")
    form = ConversionForm(request.POST, prefix="conversion", item=item)
    if form.is_valid():
        try:
            services.add_conversion(request.user, item=item, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Conversion added."))
            return redirect(f"{reverse('items:detail', args=[item.pk])}?tab=units")
    return _detail(request, item, status=400, tab="units", conversion_form=form)


@require_http_methods(["GET", "POST"])
@requires_somewhere("items.import")
def item_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = imports.import_items(request.user, upload.read(), filename=upload.name)
            except ImportFileError as exc:
                form.add_error("file", exc.messages)
            else:
                if result.ok:
                    messages.success(
                        request,
                        _("%(count)d item(s) imported as drafts.") % {"count": result.created},
                    )
                    return redirect("items:list")
    context = {"form": form, "result": result, "columns": imports.COLUMNS}
    return render(request, "items/item_import.html", context, status=status)


@require_GET
@requires_somewhere("items.import")
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="items-template.csv"'
    return response
