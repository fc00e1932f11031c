"""Incoming inspection pages: plans, the queue of lots to inspect, the inspection record page.

Every view declares its permission (held at some site); what it shows is scoped by the
selectors, so a record of a site the user may not see is a 404, and the services check the
permission at the record's own site.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mederp.identity.authz import authorize, has_perm
from mederp.inspection import selectors, services
from mederp.inspection.forms import (
    CharacteristicForm,
    DecisionForm,
    InspectionFilterForm,
    PlanFilterForm,
    PlanForm,
    ReasonForm,
    ResultForm,
)
from mederp.inspection.models import Inspection, InspectionPlan
from mederp.signatures.dialog import SignedTransition, SigningInput, esign_view

View = Callable[..., HttpResponse]
TABS = [
    ("sampling", gettext_lazy("Sampling plan")),
    ("results", gettext_lazy("Results")),
    ("decision", gettext_lazy("Decision")),
    ("signatures", gettext_lazy("Signatures")),
    ("audit", gettext_lazy("Audit trail")),
]


def requires_somewhere(perm: str) -> Callable[[View], View]:
    """Sign-in and `perm` at one site at least; selectors and services scope the rest."""

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


def _errors_to_form(form: Any, exc: ValidationError) -> None:
    for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        form.add_error(field if field in form.fields else None, errors)


def _flash(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))


# --- plans -----------------------------------------------------------------------------------
@require_GET
@requires_somewhere("inspection.view")
def plan_list(request: HttpRequest) -> HttpResponse:
    form = PlanFilterForm(request.GET or None)
    flt = form.cleaned_data if form.is_bound and form.is_valid() else {}
    plans = selectors.search_plans(
        request.user, item=flt.get("item", ""), status=flt.get("status", "")
    )
    page = Paginator(plans, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_manage": has_perm(request.user, services.MANAGE),
    }
    return render(request, "inspection/plan_list.html", context)


@require_http_methods(["GET", "POST"])
@requires_somewhere(services.MANAGE)
def plan_new(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        previous = (
            InspectionPlan.objects.filter(item=data["item"]).order_by("-revision").first()
            if data["copy_previous"]
            else None
        )
        try:
            plan = services.create_plan(
                request.user,
                item=data["item"],
                aql=data["aql"],
                level=data["level"],
                notes=data["notes"],
                copy_from=previous,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Draft plan created."))
            return redirect("inspection:plan", pk=plan.pk)
    return render(request, "inspection/plan_form.html", {"form": form})


def _plan(request: HttpRequest, pk: Any) -> InspectionPlan:
    plan = selectors.plan_for(request.user, pk)
    if plan is None:
        raise Http404(_("No such inspection plan."))
    return plan


def _plan_page(
    request: HttpRequest,
    plan: InspectionPlan,
    *,
    char_form: CharacteristicForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "plan": plan,
        "characteristics": list(plan.characteristics.all()),
        "can_edit": plan.status == "draft" and has_perm(request.user, services.MANAGE),
        "char_form": char_form or CharacteristicForm(),
        "activate_form": ReasonForm(),
        "revisions": list(InspectionPlan.objects.filter(item=plan.item_id).order_by("-revision")),
    }
    return render(request, "inspection/plan_detail.html", context, status=status)


@require_GET
@requires_somewhere("inspection.view")
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _plan(request, pk))


@require_POST
@requires_somewhere(services.MANAGE)
def plan_characteristic(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = CharacteristicForm(request.POST)
    if form.is_valid():
        try:
            services.add_characteristic(request.user, plan, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Characteristic added."))
            return redirect("inspection:plan", pk=plan.pk)
    return _plan_page(request, plan, char_form=form, status=400)


@require_POST
@requires_somewhere(services.MANAGE)
def plan_activate(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.activate_plan(request.user, plan, reason=reason)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("The plan is active; earlier revisions are retired."))
    return redirect("inspection:plan", pk=plan.pk)


# --- queue and inspections -------------------------------------------------------------------
@require_GET
@requires_somewhere("inspection.view")
def queue(request: HttpRequest) -> HttpResponse:
    lots = list(selectors.queue(request.user)[:500])
    plans = selectors.active_plans_for([lot.item_id for lot in lots])
    rows = [
        {
            "lot": lot,
            "plan": plans.get(lot.item_id),
            "can_start": has_perm(request.user, services.PERFORM, lot.site),
        }
        for lot in lots
    ]
    return render(request, "inspection/queue.html", {"rows": rows})


@require_POST
@requires_somewhere(services.PERFORM)
def start(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.queued_lot_for(request.user, pk)
    if lot is None:
        raise Http404(_("This lot is not waiting for inspection."))
    try:
        inspection = services.start_inspection(request.user, lot)
    except ValidationError as exc:
        _flash(request, exc)
        return redirect("inspection:queue")
    messages.success(request, _("Inspection %(n)s started.") % {"n": inspection.number})
    return redirect("inspection:detail", pk=inspection.pk)


@require_GET
@requires_somewhere("inspection.view")
def inspection_list(request: HttpRequest) -> HttpResponse:
    form = InspectionFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    flt = selectors.InspectionFilter(
        status=data.get("status", ""),
        disposition=data.get("disposition", ""),
        number=data.get("number", ""),
    )
    page = Paginator(selectors.inspections_visible_to(request.user, flt), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "inspection/inspection_list.html", {"form": form, "page": page})


def _inspection(request: HttpRequest, pk: Any) -> Inspection:
    inspection = selectors.inspection_for(request.user, pk)
    if inspection is None:
        raise Http404(_("No such inspection."))
    return inspection


def _detail(
    request: HttpRequest,
    inspection: Inspection,
    *,
    tab: str = "",
    forms: dict[int, ResultForm] | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tab = tab or request.GET.get("tab", "") or "sampling"
    if tab not in dict(TABS):
        tab = "sampling"
    user = request.user
    is_open = inspection.status == "open"
    can_perform = is_open and has_perm(user, services.PERFORM, inspection.site)
    rows = selectors.result_rows(inspection)
    forms = forms or {}
    for row in rows:
        result = row["result"]
        initial = (
            {
                "inspected_quantity": result.inspected_quantity,
                "nonconforming": result.nonconforming,
                "measured_min": result.measured_min,
                "measured_max": result.measured_max,
                "notes": result.notes,
            }
            if result
            else {"inspected_quantity": inspection.sample_size, "nonconforming": 0}
        )
        row["form"] = forms.get(
            row["characteristic"].pk,
            ResultForm(initial=initial, prefix=f"c{row['characteristic'].pk}"),
        )
    pending = inspection.status == "pending_approval"
    context = {
        "inspection": inspection,
        "tabs": TABS,
        "tab": tab,
        "rows": rows,
        "totals": services.totals(inspection),
        "can_perform": can_perform,
        "decision_form": decision_form or DecisionForm(),
        "can_approve": pending and has_perm(user, services.APPROVE, inspection.site),
    }
    return render(request, "inspection/inspection_detail.html", context, status=status)


@require_GET
@requires_somewhere("inspection.view")
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _inspection(request, pk))


@require_POST
@requires_somewhere(services.PERFORM)
def record(request: HttpRequest, pk: int, characteristic: int) -> HttpResponse:
    inspection = _inspection(request, pk)
    chosen = inspection.plan.characteristics.filter(pk=characteristic).first()
    if chosen is None:
        raise Http404(_("No such characteristic in this plan."))
    # The result forms of the page carry a prefix; a plain POST (API-like clients) has none.
    prefix = f"c{chosen.pk}" if f"c{chosen.pk}-inspected_quantity" in request.POST else None
    form = ResultForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            services.record_result(request.user, inspection, chosen, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Result recorded: %(c)s.") % {"c": chosen.name})
            return redirect(reverse("inspection:detail", args=[inspection.pk]) + "?tab=results")
    return _detail(request, inspection, tab="results", forms={chosen.pk: form}, status=400)


@require_POST
@requires_somewhere(services.PERFORM)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide(
                request.user,
                inspection,
                form.cleaned_data["disposition"],
                form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Disposition recorded."))
            return redirect(reverse("inspection:detail", args=[inspection.pk]) + "?tab=decision")
    return _detail(request, inspection, tab="decision", decision_form=form, status=400)


# --- deviation approval with an e-signature --------------------------------------------------
def _load_pending(request: HttpRequest, pk: Any) -> Inspection:
    return _inspection(request, pk)


def _describe(inspection: Inspection) -> list[tuple[Any, Any]]:
    totals = services.totals(inspection)
    return [
        (gettext_lazy("Inspection"), inspection.number),
        (gettext_lazy("Lot"), inspection.lot.number),
        (gettext_lazy("Item"), inspection.lot.item.code),
        (gettext_lazy("Sample size"), inspection.sample_size),
        (gettext_lazy("Ac / Re"), f"{inspection.accept_number} / {inspection.reject_number}"),
        (gettext_lazy("Nonconforming units"), totals["nonconforming"]),
        (gettext_lazy("Reason for the deviation"), inspection.disposition_reason),
    ]


def _url(inspection: Inspection) -> str:
    return reverse("inspection:detail", args=[inspection.pk]) + "?tab=decision"


def _approve(request: HttpRequest, inspection: Inspection, s: SigningInput) -> Any:
    return services.approve_deviation(
        request.user, inspection, password=s.password, otp=s.otp, reason=s.reason, session=s.session
    )


def _reject(request: HttpRequest, inspection: Inspection, s: SigningInput) -> Any:
    return services.reject_deviation(
        request.user, inspection, password=s.password, otp=s.otp, reason=s.reason, session=s.session
    )


APPROVE_DEVIATION = SignedTransition(
    code="inspection.approve_deviation",
    meaning="approved",
    permission=services.APPROVE,
    title=gettext_lazy("Approve acceptance with deviation"),
    statement=gettext_lazy(
        "The lot is released and moved to released stock as soon as you sign. You must not "
        "be the inspector of this lot."
    ),
    load=_load_pending,
    perform=_approve,
    describe=_describe,
    success_url=_url,
    success_message=gettext_lazy("Deviation approved: the lot is released."),
)

REJECT_DEVIATION = SignedTransition(
    code="inspection.reject_deviation",
    meaning="rejected",
    permission=services.APPROVE,
    title=gettext_lazy("Reject the deviation"),
    statement=gettext_lazy("The lot is rejected and moved to the MRB location when you sign."),
    load=_load_pending,
    perform=_reject,
    describe=_describe,
    success_url=_url,
    reason_required=True,
    success_message=gettext_lazy("Deviation rejected: the lot is rejected."),
)

approve = esign_view(APPROVE_DEVIATION)
reject_deviation = esign_view(REJECT_DEVIATION)
