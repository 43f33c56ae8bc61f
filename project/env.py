"""Every setting Parley reads from the environment, in one place (documented in README.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    pass


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name}={raw!r} is not an integer") from exc


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass(frozen=True)
class Env:
    debug: bool
    secret_key: str
    allowed_hosts: list[str]
    database_url: str
    redis_url: str | None
    celery_broker_url: str
    data_dir: Path
    max_upload_mb: int
    max_archive_mb: int
    max_archive_files: int
    log_level: str
    cache_dir: Path  # the training cache (PARLEY_CACHE_DIR, default $PARLEY_DATA_DIR/cache)
    cache_max_mb: int  # 0 disables the training cache


def read_env() -> Env:
    debug = _bool("DEBUG", default=False)
    data_dir = Path(os.environ.get("PARLEY_DATA_DIR") or BASE_DIR / "var").resolve()
    secret_key = os.environ.get("SECRET_KEY", "")
    if not secret_key:
        if not debug:
            raise ConfigurationError(
                "SECRET_KEY must be set when DEBUG is off (export SECRET_KEY=... or DEBUG=1)"
            )
        secret_key = "parley-insecure-development-key"
    redis_url = os.environ.get("REDIS_URL") or None
    broker = os.environ.get("CELERY_BROKER_URL") or redis_url or "filesystem://"
    return Env(
        debug=debug,
        secret_key=secret_key,
        allowed_hosts=_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if not debug else ["*"]),
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'parley.sqlite3'}",
        redis_url=redis_url,
        celery_broker_url=broker,
        data_dir=data_dir,
        max_upload_mb=_int("PARLEY_MAX_UPLOAD_MB", 50),
        max_archive_mb=_int("PARLEY_MAX_ARCHIVE_MB", 200),
        max_archive_files=_int("PARLEY_MAX_ARCHIVE_FILES", 10000),
        log_level=(os.environ.get("LOG_LEVEL") or "INFO").upper(),
        cache_dir=Path(os.environ.get("PARLEY_CACHE_DIR") or data_dir / "cache").resolve(),
        cache_max_mb=_int("PARLEY_CACHE_MAX_MB", 1024),
    )
