"""The destruction list: uids of data keys destroyed by crypto-shredding, kept OUTSIDE the
database, so that restoring a database backup taken before a shredding does not bring the
erased data back.

One line per key, `<key uid> <UTC time>`, appended (O_APPEND + fsync) to
`<keys dir>/data-destroyed-keys.txt` and to a second copy in
MEDERP_DATA_DESTRUCTION_LIST_COPY_DIR (default: the external checkpoint directory, which is
meant to be WORM storage or another system). Readers take the union of both copies. A key on
the list never unwraps, whatever the database says; `mederp keys apply-destruction-list`
wipes the wrapped key material a restored database still holds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from mederp.core.keys import keys_dir

FILE_NAME = "data-destroyed-keys.txt"
CHECK_EVERY_SECONDS = 1.0  # how stale another process's view of the list may be

_lock = threading.Lock()
_state: dict[str, object] = {"stamp": None, "uids": frozenset(), "next": 0.0}


def paths() -> list[Path]:
    main = keys_dir() / FILE_NAME
    copy_dir = getattr(settings, "MEDERP_DATA_DESTRUCTION_LIST_COPY_DIR", "") or getattr(
        settings, "MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR", ""
    )
    out = [main]
    if copy_dir:
        out.append(Path(copy_dir) / FILE_NAME)
    return out


def _stamp(files: list[Path]) -> tuple[object, ...]:
    out: list[object] = []
    for path in files:
        try:
            st = path.stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append((str(path), None))
    return tuple(out)


def _read(files: list[Path]) -> frozenset[str]:
    uids: set[str] = set()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            part = line.split(" ", 1)[0].strip()
            if part and not part.startswith("#"):
                uids.add(part)
    return frozenset(uids)


def destroyed_uids(force: bool = False) -> frozenset[str]:
    """The union of both copies; re-read when a file changed, checked at most once a second."""
    now = time.monotonic()
    if not force and now < float(_state["next"]):  # type: ignore[arg-type]
        return _state["uids"]  # type: ignore[return-value]
    files = paths()
    stamp = _stamp(files)
    with _lock:
        if force or stamp != _state["stamp"]:
            _state["uids"] = _read(files)
            _state["stamp"] = stamp
        _state["next"] = now + CHECK_EVERY_SECONDS
        return _state["uids"]  # type: ignore[return-value]


def is_destroyed(uid: str) -> bool:
    return uid in destroyed_uids()


def append(uids: Iterable[str]) -> None:
    """Add uids to every copy (created 0600; directory 0700). Raises if a copy cannot be
    written: a shredding that cannot be recorded outside the database must not commit."""
    when = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = "".join(f"{uid} {when}\n" for uid in uids).encode("utf-8")
    if not lines:
        return
    for path in paths():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, lines)
            os.fsync(fd)
        finally:
            os.close(fd)
    destroyed_uids(force=True)


def reset() -> None:
    with _lock:
        _state.update({"stamp": None, "uids": frozenset(), "next": 0.0})
