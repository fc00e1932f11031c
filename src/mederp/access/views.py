"""Access-control pages: the role × permission matrix, privileged grants, access reviews.

Each view declares its permission (checked at the current site by `@requires`); what a page
shows is scoped by the selectors, so a record of another site is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mederp.access import selectors, services
from mederp.access.forms import DecideItemForm, GrantRoleForm, StartCampaignForm
from mederp.access.models import AccessReviewCampaign, AccessReviewItem, PendingGrant
from mederp.identity import services as identity
from mederp.identity.authz import ALL_SITES, has_perm, sites_with
from mederp.identity.decorators import requires

PAGE_SIZE = 50


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_GET
@requires("identity.view_roles")
def role_matrix(request: HttpRequest) -> HttpResponse:
    roles, rows = selectors.role_matrix()
    return render(
        request,
        "access/role_matrix.html",
        {"roles": roles, "rows": rows, "rules": selectors.sod_rules()},
    )


@require_GET
@requires(selectors.VIEW_GRANTS_PERM)
def grant_list(request: HttpRequest) -> HttpResponse:
    grants = selectors.grants_visible_to(request.user)
    pending = list(grants.filter(status=PendingGrant.Status.PENDING).order_by("requested_at"))
    decided = Paginator(grants.exclude(status=PendingGrant.Status.PENDING), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "access/grant_list.html",
        {
            "pending": pending,
            "decided": decided,
            "can_grant": has_perm(request.user, selectors.GRANT_PERM),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(selectors.GRANT_PERM)
def grant_new(request: HttpRequest) -> HttpResponse:
    form = GrantRoleForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = identity.assign_role(
                request.user, data["user"], data["role"], data["site"], data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            if isinstance(result, PendingGrant):
                messages.success(
                    request,
                    _(
                        "%(role)s is a privileged role: the grant now awaits a second "
                        "administrator's approval."
                    )
                    % {"role": result.role.label},
                )
                return redirect("access:grant", pk=result.pk)
            messages.success(
                request,
                _("%(role)s granted to %(user)s.")
                % {"role": result.role.label, "user": result.user},
            )
            return redirect("access:grants")
    return render(request, "access/grant_new.html", {"form": form})


@require_GET
@requires(selectors.VIEW_GRANTS_PERM)
def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_object_or_404(selectors.grants_visible_to(request.user), pk=pk)
    user = request.user
    can_decide = (
        grant.status == PendingGrant.Status.PENDING
        and has_perm(user, selectors.GRANT_PERM, grant.site_id)
        and user.pk not in (grant.requested_by_id, grant.user_id)
    )
    return render(request, "access/grant_detail.html", {"grant": grant, "can_decide": can_decide})


@require_GET
@requires(selectors.VIEW_REVIEWS_PERM)
def review_list(request: HttpRequest) -> HttpResponse:
    campaigns = Paginator(selectors.campaigns_visible_to(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    can_start = has_perm(request.user, selectors.MANAGE_REVIEWS_PERM)
    return render(
        request,
        "access/review_list.html",
        {
            "campaigns": campaigns,
            "form": StartCampaignForm(actor=request.user) if can_start else None,
            "disabled_accounts": selectors.disablements_visible_to(request.user)[:PAGE_SIZE],
            "inactive_days": services.inactive_days(),
        },
    )


@require_POST
@requires(selectors.MANAGE_REVIEWS_PERM)
def review_start(request: HttpRequest) -> HttpResponse:
    form = StartCampaignForm(request.POST, actor=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.start_campaign(
                request.user, name=data["name"], due_date=data["due_date"], site=data["site"]
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(
                request,
                _("Access review “%(name)s” started with %(n)s items.")
                % {"name": campaign.name, "n": campaign.items.count()},
            )
            return redirect("access:review", pk=campaign.pk)
    else:
        messages.error(
            request,
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
        )
    return redirect("access:reviews")


def _item_rows(user: Any, items: Any) -> list[dict[str, Any]]:
    return [{"item": item, "can_decide": selectors.can_decide(user, item)} for item in items]


@require_GET
@requires(selectors.VIEW_REVIEWS_PERM)
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)
    items = selectors.items_visible_to(request.user, campaign)
    show = request.GET.get("show", "pending")
    listed = (
        items.filter(decision=AccessReviewItem.Decision.PENDING) if show == "pending" else items
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    is_open = campaign.status == AccessReviewCampaign.Status.OPEN
    can_complete = is_open and (
        has_perm(request.user, selectors.MANAGE_REVIEWS_PERM, campaign.site_id)
        if campaign.site_id is not None
        else sites_with(request.user, selectors.MANAGE_REVIEWS_PERM) is ALL_SITES
    )
    return render(
        request,
        "access/review_detail.html",
        {
            "campaign": campaign,
            "progress": selectors.progress(items),
            "page": page,
            "rows": _item_rows(request.user, page.object_list),
            "show": show,
            "is_open": is_open,
            "can_complete": can_complete,
        },
    )


@require_POST
@requires(selectors.REVIEW_PERM)
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        AccessReviewItem.objects.visible_to(request.user, selectors.REVIEW_PERM).select_related(
            "campaign"
        ),
        pk=pk,
    )
    form = DecideItemForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            item = services.decide_item(
                request.user, item, form.cleaned_data["decision"], form.cleaned_data["note"]
            )
        except ValidationError as exc:
            error = _errors(exc)
        except PermissionDenied as exc:
            error = str(exc)
    else:
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    if getattr(request, "htmx", False):
        item = selectors.items_visible_to(request.user, item.campaign).get(pk=item.pk)
        response = render(
            request,
            "access/_review_row.html",
            {
                "row": {"item": item, "can_decide": selectors.can_decide(request.user, item)},
                "error": error,
                "is_open": True,
            },
        )
        patch_vary_headers(response, ("HX-Request",))
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Review decision recorded."))
    return redirect(reverse("access:review", args=[item.campaign_id]))
