"""Reading configuration from the environment, and the files kept under var/."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_SRC_ROOT = Path(__file__).resolve().parents[3]


def repo_root() -> Path:
    # In a source checkout (editable install) var/ lives next to src/; otherwise in the cwd.
    if (_SRC_ROOT / "pyproject.toml").exists():
        return _SRC_ROOT
    return Path.cwd()


def var_dir() -> Path:
    path = Path(os.environ.get("MEDERP_VAR_DIR") or repo_root() / "var")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def secret_from_file(path: Path, nbytes: int = 50) -> str:
    """Return the secret stored at `path`, creating it (mode 0600) on first use.

    Several gunicorn workers may start at once: the secret is written to a temporary
    file and hard-linked into place, so a reader never sees a half-written file and
    exactly one writer wins.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(nbytes) + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
