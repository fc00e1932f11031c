"""Load the demo plant's materials through the services, done by the demo users themselves,
so that the audit trails read as a plant's would: the engineer creates items and the quality
manager releases them, the buyer orders, the purchasing manager approves, the warehouse
clerk receives, QA inspects (one lot is rejected), and stock ends up in several locations.

Idempotent at the level of the whole set: when the first demo item exists, nothing is loaded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from mederp.demo import materials_data as data
from mederp.identity.models import Site, User


def _users() -> dict[str, User]:
    return {u.username: u for u in User.objects.all()}


def load(sites: dict[str, Site]) -> dict[str, int]:
    from mederp.items.models import Item

    if Item.objects.filter(code=data.ITEMS[0][0]).exists():
        return {}
    users = _users()
    today = timezone.localdate()
    counts: dict[str, int] = {}
    locations = _locations(users["admin"], sites)
    counts["locations"] = len(locations)
    items = _items(users["engineer"], users["qm"])
    counts["items"] = len(items)
    suppliers = _suppliers(users["buyer"], users["qm"], items, today)
    counts["suppliers"] = len(suppliers)
    counts["customers"] = _customers(users["sales"], sites, today)
    counts["inspection plans"] = _plans(users["qa"], items)
    counts["purchase orders"], counts["lots"] = _orders(
        users, sites["SZ01"], items, suppliers, locations, today
    )
    return counts


def _locations(admin: User, sites: dict[str, Site]) -> dict[str, Any]:
    from mederp.inventory import services

    made: dict[str, Any] = {}
    for site_code, code, name, level, kind, parent in data.LOCATIONS:
        made[code] = services.create_location(
            admin,
            site=sites[site_code],
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=made[parent] if parent else None,
        )
    return made


def _items(engineer: User, qm: User) -> dict[str, Any]:
    from mederp.items import services

    made: dict[str, Any] = {}
    to_release: list[str] = []
    for code, name_en, name_zh, item_type, uom, tracking, shelf, storage, extra in data.ITEMS:
        fields = dict(extra)
        if bool(fields.pop("released", True)):
            to_release.append(code)
        made[code] = services.create_item(
            engineer,
            code=code,
            name_en=name_en,
            name_zh=name_zh,
            item_type=item_type,
            uom=uom,
            tracking=tracking,
            shelf_life_days=shelf,
            storage_condition=storage,
            **fields,
        )
    # The engineer defines the packaging conversions while the items are drafts; on a released
    # item a conversion is a controlled change (items.release and a reason).
    for code, src, dst, factor in data.CONVERSIONS:
        services.add_conversion(
            engineer, from_uom=src, to_uom=dst, factor=Decimal(factor), item=made[code]
        )
    for code in to_release:
        made[code] = services.release_item(qm, made[code], reason="Design transfer complete (demo)")
    return made


def _suppliers(buyer: User, qm: User, items: dict[str, Any], today: dt.date) -> dict[str, Any]:
    from mederp.partners import services

    made: dict[str, Any] = {}
    for code, name, name_zh, status, cert_days in data.SUPPLIERS:
        supplier = services.create_supplier(buyer, code=code, name=name, name_zh=name_zh)
        first = "approved" if status == "disqualified" else status
        supplier = services.change_supplier_status(
            qm, supplier, to_status=first, reason="Supplier audit 2026 (demo)"
        )
        for item_code in data.ASL[code]:
            services.add_approved_item(
                qm,
                supplier,
                item=items[item_code],
                manufacturer=name,
                manufacturer_part_no=f"{code[4:]}-{item_code}",
            )
        if cert_days is not None:
            number = f"CN-13485-{code[4:]}-2024 (demo)"
            services.add_certificate(
                buyer,
                supplier,
                kind="iso13485",
                number=number,
                issuer="TÜV SÜD (demo)",
                valid_from=today - dt.timedelta(days=3 * 365 - cert_days),
                expires_on=today + dt.timedelta(days=cert_days),
                upload=_certificate_scan(code, number),
            )
        if status == "disqualified":
            supplier = services.change_supplier_status(
                qm,
                supplier,
                to_status="disqualified",
                reason="Repeated nonconforming roller clamps; certificate lapsed (demo)",
            )
        made[code] = supplier
    return made


def _certificate_scan(supplier_code: str, number: str) -> ContentFile[bytes]:
    """A small generated PDF standing in for the scanned certificate (a certificate is
    recorded only with its scan)."""
    text = f"ISO 13485 certificate {number} - {supplier_code} (demo)"
    text = text.encode("ascii", "replace").decode("ascii")
    text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number_, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number_ + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return ContentFile(body, name=f"ISO13485-{supplier_code}.pdf")


def _customers(sales: User, sites: dict[str, Site], today: dt.date) -> int:
    from mederp.partners import services

    for code, name, name_zh, kind, licence_type, licence_no, days in data.CUSTOMERS:
        services.create_customer(
            sales,
            code=code,
            name=name,
            name_zh=name_zh,
            kind=kind,
            country="DE" if code == "CUS-EUR" else "CN",
            licence_type=licence_type,
            licence_no=licence_no,
            licence_expires_on=today + dt.timedelta(days=days),
        )
    return len(data.CUSTOMERS)


_PLANS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "RM-1001": (
        "1.0",
        [
            {
                "name": "Melt flow index",
                "method": "GB/T 3682, 190 °C / 5 kg",
                "kind": "variable",
                "unit": "g/10 min",
                "lower_limit": "2.0",
                "upper_limit": "6.0",
            },
            {
                "name": "Certificate of analysis matches lot",
                "method": "Document check",
                "kind": "attribute",
            },
        ],
    ),
    "CMP-2004": (
        "0.65",
        [
            {
                "name": "Bubble point",
                "method": "ISO 2859 sample, bubble-point tester",
                "kind": "variable",
                "unit": "kPa",
                "lower_limit": "90",
            },
            {
                "name": "Membrane free of tears and inclusions",
                "method": "Visual, 10× loupe",
                "kind": "attribute",
            },
        ],
    ),
    "CMP-2006": (
        "0.65",
        [
            {
                "name": "Outer diameter",
                "method": "Laser micrometer",
                "kind": "variable",
                "unit": "mm",
                "lower_limit": "0.69",
                "upper_limit": "0.71",
            },
            {
                "name": "Tip sharpness / burrs",
                "method": "Visual, 20× microscope",
                "kind": "attribute",
            },
        ],
    ),
}


def _plans(qa: User, items: dict[str, Any]) -> int:
    from mederp.inspection import services

    for code, (aql, characteristics) in _PLANS.items():
        plan = services.create_plan(
            qa, item=items[code], aql=aql, level="II", characteristics=characteristics
        )
        services.activate_plan(qa, plan, reason="Incoming inspection plan (demo)")
    return len(_PLANS)


def _orders(
    users: dict[str, User],
    site: Site,
    items: dict[str, Any],
    suppliers: dict[str, Any],
    locations: dict[str, Any],
    today: dt.date,
) -> tuple[int, int]:
    from mederp.inventory import services as inventory
    from mederp.purchasing import services as purchasing

    buyer, pm, clerk, qa = users["buyer"], users["pm"], users["clerk_sz"], users["qa"]
    ordered = today - dt.timedelta(days=40)
    # supplier, [(item, quantity, unit, price, due in days from order)], scenario per line
    orders = [
        ("SUP-PVC", [("RM-1001", "500", "KG", "38.50", 20), ("CMP-2007", "4", "ROLL", "260", 20)]),
        ("SUP-FLT", [("CMP-2004", "2000", "EA", "1.85", 25)]),
        ("SUP-NDL", [("CMP-2006", "5000", "EA", "0.42", 30)]),
    ]
    lots = 0
    for number, (supplier_code, lines) in enumerate(orders, start=1):
        order = purchasing.create_order(
            buyer, site=site, supplier=suppliers[supplier_code], order_date=ordered
        )
        made = [
            purchasing.add_line(
                buyer,
                order,
                item=items[code],
                quantity=qty,
                uom=items[code].uom if uom == items[code].uom.code else _uom(uom),
                unit_price=price,
                due_date=ordered + dt.timedelta(days=due),
            )
            for code, qty, uom, price, due in lines
        ]
        order = purchasing.submit(buyer, order)
        if order.status == "pending_approval":
            order = purchasing.approve(pm, order, reason="Within budget (demo)")
        for line in made:
            receipt = purchasing.receive(
                clerk,
                line=line,
                quantity=line.quantity,
                uom=line.uom,
                supplier_lot=f"{supplier_code[4:]}-{today:%y%m}-{number:02d}{line.line_no}",
                manufactured_on=today - dt.timedelta(days=60),
                location=locations["SZ-QA-01"],
            )
            lots += 1
            _inspect(qa, receipt, reject=(supplier_code == "SUP-FLT"))
    # Spread released stock over several locations and use some of it.
    released = {lot.item.code: lot for lot in _released_lots(site)}
    pvc = released.get("RM-1001")
    if pvc is not None:
        held = _location_of(pvc)
        inventory.transfer(
            clerk,
            lot=pvc,
            from_location=held,
            to_location=locations["SZ-RM-A01"],
            quantity="300",
            reason="Put away (demo)",
        )
        inventory.transfer(
            clerk,
            lot=pvc,
            from_location=locations["SZ-RM-A01"],
            to_location=locations["SZ-LINE1"],
            quantity="50",
            reason="Line 1 replenishment (demo)",
        )
    needles = released.get("CMP-2006")
    if needles is not None:
        held = _location_of(needles)
        inventory.transfer(
            clerk,
            lot=needles,
            from_location=held,
            to_location=locations["SZ-CMP-B02"],
            quantity="2000",
            reason="Second bin (demo)",
        )
        inventory.issue(
            clerk,
            lot=needles,
            location=locations["SZ-CMP-B02"],
            quantity="500",
            reference="WO-2026-00001",
            reason="Issued to assembly (demo)",
        )
    return len(orders), lots


def _uom(code: str) -> Any:
    from mederp.items.models import UnitOfMeasure

    return UnitOfMeasure.objects.get(code=code)


def _released_lots(site: Site) -> list[Any]:
    from mederp.inventory.models import Lot

    return list(Lot.objects.filter(site=site, status="released").select_related("item"))


def _location_of(lot: Any) -> Any:
    from mederp.inventory.models import StockBalance

    return (
        StockBalance.objects.filter(lot=lot, quantity__gt=0).select_related("location")[0].location
    )


def _inspect(qa: User, receipt: Any, *, reject: bool) -> None:
    from mederp.inspection import services
    from mederp.inspection.models import InspectionPlan

    if not InspectionPlan.objects.filter(item=receipt.lot.item, status="active").exists():
        return  # no plan: the lot waits in quarantine for QA (as in a real plant)
    inspection = services.start_inspection(qa, receipt.lot)
    for characteristic in inspection.plan.characteristics.all():
        bad = reject and characteristic.kind == "attribute"
        values: dict[str, Any] = {}
        if characteristic.kind == "variable":
            low = characteristic.lower_limit
            high = characteristic.upper_limit
            mid = ((low or high or Decimal(0)) + (high or low or Decimal(0))) / 2
            values = {"measured_min": mid, "measured_max": mid}
        services.record_result(
            qa,
            inspection,
            characteristic,
            inspected_quantity=inspection.sample_size,
            nonconforming=inspection.reject_number if bad else 0,
            notes="Torn membranes found in sample (demo)" if bad else "",
            **values,
        )
    if reject:
        services.decide(qa, inspection, "reject", reason="Nonconforming above Re (demo)")
    else:
        services.decide(qa, inspection, "accept", reason="Conforms to plan (demo)")
