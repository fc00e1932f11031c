"""A day in the life of contact records, used by the "nothing in clear" tests.

Creates people with marker strings in every RESTRICTED field and exercises every path that
touches them: pages, API, search, reveal, update, exports, erasure, key rotation and
re-encryption. Importable (in-process, any database) and runnable as a script with
`python scenario.py OUT_DIR` against the database in MEDERP_DATABASE_URL (a SQLite file).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

MARKERS = {
    "name": "Zorblax Quenfield 张铁柱",
    "phone": "13987654321",
    "email": "zorblax.quenfield@markermail.example",
    "birth_date": "1971-03-29",
    "notes": "Allergic to QXNOTEMARKER latex",
    "preferences": "QXPREFMARKER",
    "id_number": "QXIDNUM4455667788",
}
# What must never appear in storage, logs, the ledger or masked exports.
NEEDLES = [
    "Zorblax",
    "Quenfield",
    "张铁柱",
    "13987654321",
    "zorblax.quenfield",
    "1971-03-29",
    "QXNOTEMARKER",
    "QXPREFMARKER",
    "QXIDNUM4455667788",
]


def needle_forms(needle: str) -> list[bytes]:
    import json

    forms = {needle.encode(), needle.lower().encode(), json.dumps(needle)[1:-1].encode()}
    forms.add(needle.encode("utf-16-le"))
    return sorted(forms)


def hits(data: bytes) -> list[str]:
    return [n for n in NEEDLES if any(form in data for form in needle_forms(n))]


def run(out: Path) -> None:
    from django.test import Client

    from mederp.data import keyops, services
    from mederp.data.selectors import PersonFilter
    from mederp.identity import services as identity
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role

    site = identity.create_site(SYSTEM, code="NC01", name="No-clear plant")

    def user(name: str, role: str) -> Any:
        u = identity.create_user(
            SYSTEM, username=name, full_name=f"User {name}", password="correct-horse-battery-1"
        )
        identity.assign_role(SYSTEM, u, Role.objects.get(code=role), None, reason="scenario")
        return u

    manager, dpo, dpo2, viewer = (
        user("nc-qm", "quality_manager"),
        user("nc-dpo", "dpo"),
        user("nc-dpo2", "dpo"),
        user("nc-qa", "qa_specialist"),
    )
    people = []
    for i in range(3):
        people.append(
            services.create_person(
                manager,
                site=site,
                name=MARKERS["name"] + f" {i}",
                phone=MARKERS["phone"],
                email=MARKERS["email"],
                birth_date=dt.date.fromisoformat(MARKERS["birth_date"]),
                notes=MARKERS["notes"],
                preferences={"hobby": MARKERS["preferences"]},
                id_number=MARKERS["id_number"],
            )
        )
    services.update_person(manager, people[0], reason="typo", notes=MARKERS["notes"] + " confirmed")
    services.reveal(manager, people[1], reason="call back")

    for who in (viewer, manager, dpo):
        client = Client()
        client.force_login(who)
        client.get("/people/")
        client.get(f"/people/{people[0].pk}/")
        client.get("/api/v1/people")
        client.post("/people/", {"email": MARKERS["email"]})
        client.post(
            "/api/v1/people/search", {"email": MARKERS["email"]}, content_type="application/json"
        )
    client = Client()
    client.force_login(manager)
    client.post(f"/people/{people[2].pk}/reveal/", {"reveal-reason": "ship sample"})
    client.post(
        f"/api/v1/people/{people[2].pk}/reveal", {"reason": "x"}, content_type="application/json"
    )

    out.mkdir(parents=True, exist_ok=True)
    for fmt in ("csv", "xlsx", "pdf"):
        data = services.export_people(manager, PersonFilter(), fmt)  # masked
        (out / f"masked.{fmt}").write_bytes(data)
    clear = services.export_people(dpo, PersonFilter(), "csv", purpose="DSAR answer")
    (out / "clear-control.csv").write_bytes(clear)

    request = services.request_erasure(manager, people[0], reason="subject asked")
    services.shred_subject(dpo, request, reason="approved")
    keyops.rotate(SYSTEM, reason="scenario rotation", data_keys=True, batch=2)
    keyops.reencrypt(SYSTEM, batch=2)
    _ = dpo2


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mederp.config.settings.test")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    run(Path(sys.argv[1]))
    connection.close()
    print("scenario done")
