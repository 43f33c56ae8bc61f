"""project/env.py: every setting read from the environment, and what the settings make of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from project.env import BASE_DIR, ConfigurationError, read_env

ENV_VARS = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "PARLEY_DATA_DIR",
    "PARLEY_MAX_UPLOAD_MB",
    "PARLEY_MAX_ARCHIVE_MB",
    "PARLEY_MAX_ARCHIVE_FILES",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path))
    return monkeypatch


def test_given_debug_off_and_no_secret_key_when_reading_env_then_configuration_error(
    clean_env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set"):
        read_env()


def test_given_debug_off_and_a_secret_key_when_reading_env_then_it_is_used(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("SECRET_KEY", "s3cret")
    env = read_env()
    assert env.debug is False
    assert env.secret_key == "s3cret"
    assert env.allowed_hosts == ["127.0.0.1", "localhost"]


def test_given_debug_on_and_no_secret_key_when_reading_env_then_a_development_key(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DEBUG", "1")
    env = read_env()
    assert env.debug is True
    assert env.secret_key
    assert env.allowed_hosts == ["*"]


def test_given_no_database_url_when_reading_env_then_sqlite_file_under_data_dir(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("DEBUG", "1")
    env = read_env()
    assert env.data_dir == tmp_path.resolve()
    assert env.database_url == f"sqlite:///{tmp_path.resolve() / 'parley.sqlite3'}"


def test_given_no_data_dir_when_reading_env_then_var_in_the_checkout(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.delenv("PARLEY_DATA_DIR")
    clean_env.setenv("DEBUG", "1")
    assert read_env().data_dir == (BASE_DIR / "var").resolve()


def test_given_database_url_when_reading_env_then_it_wins(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DEBUG", "1")
    clean_env.setenv("DATABASE_URL", "postgres://u@db:5432/parley")
    assert read_env().database_url == "postgres://u@db:5432/parley"


def test_given_no_redis_when_reading_env_then_filesystem_broker(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DEBUG", "1")
    env = read_env()
    assert env.redis_url is None
    assert env.celery_broker_url == "filesystem://"


def test_given_redis_url_when_reading_env_then_broker_uses_redis(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DEBUG", "1")
    clean_env.setenv("REDIS_URL", "redis://cache:6379/0")
    env = read_env()
    assert env.redis_url == "redis://cache:6379/0"
    assert env.celery_broker_url == "redis://cache:6379/0"


def test_given_celery_broker_url_when_reading_env_then_it_overrides_redis(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DEBUG", "1")
    clean_env.setenv("REDIS_URL", "redis://cache:6379/0")
    clean_env.setenv("CELERY_BROKER_URL", "amqp://guest@mq//")
    assert read_env().celery_broker_url == "amqp://guest@mq//"


def test_given_allowed_hosts_list_when_reading_env_then_split_and_trimmed(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DEBUG", "1")
    clean_env.setenv("ALLOWED_HOSTS", " parley.example.com , localhost,,")
    assert read_env().allowed_hosts == ["parley.example.com", "localhost"]


def test_given_limits_when_reading_env_then_integers(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DEBUG", "1")
    clean_env.setenv("PARLEY_MAX_UPLOAD_MB", "5")
    clean_env.setenv("PARLEY_MAX_ARCHIVE_MB", "7")
    clean_env.setenv("PARLEY_MAX_ARCHIVE_FILES", "9")
    env = read_env()
    assert (env.max_upload_mb, env.max_archive_mb, env.max_archive_files) == (5, 7, 9)


def test_given_no_limits_when_reading_env_then_defaults(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DEBUG", "1")
    env = read_env()
    assert (env.max_upload_mb, env.max_archive_mb, env.max_archive_files) == (50, 200, 10000)


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please"])
def test_given_a_bad_boolean_when_reading_env_then_clear_error(
    clean_env: pytest.MonkeyPatch, raw: str
) -> None:
    clean_env.setenv("DEBUG", raw)
    with pytest.raises(ConfigurationError, match=r"DEBUG=.* is not a boolean"):
        read_env()


@pytest.mark.parametrize("raw", ["True", "yes", "ON", "0", "off"])
def test_given_boolean_spellings_when_reading_env_then_accepted(
    clean_env: pytest.MonkeyPatch, raw: str
) -> None:
    clean_env.setenv("DEBUG", raw)
    clean_env.setenv("SECRET_KEY", "k")
    assert read_env().debug is (raw.lower() in {"true", "yes", "on"})


@pytest.mark.parametrize(
    "name", ["PARLEY_MAX_UPLOAD_MB", "PARLEY_MAX_ARCHIVE_MB", "PARLEY_MAX_ARCHIVE_FILES"]
)
def test_given_a_bad_integer_when_reading_env_then_clear_error(
    clean_env: pytest.MonkeyPatch, name: str
) -> None:
    clean_env.setenv("DEBUG", "1")
    clean_env.setenv(name, "ten")
    with pytest.raises(ConfigurationError, match=rf"{name}='ten' is not an integer"):
        read_env()


# ---------------------------------------------------------------- settings, in a fresh process

_PROBE = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "channel_backend": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "channel_config": settings.CHANNEL_LAYERS["default"].get("CONFIG"),
    "broker": settings.CELERY_BROKER_URL,
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "max_upload": settings.MAX_UPLOAD_BYTES,
}))
"""


def _settings_in_subprocess(tmp_path: Path, **extra: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings.base",
        DEBUG="1",
        PARLEY_DATA_DIR=str(tmp_path),
        **extra,
    )
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_given_no_redis_when_loading_settings_then_in_memory_layer_and_filesystem_broker(
    tmp_path: Path,
) -> None:
    loaded = _settings_in_subprocess(tmp_path)
    assert loaded["channel_backend"] == "channels.layers.InMemoryChannelLayer"
    assert loaded["broker"] == "filesystem://"
    assert loaded["db_engine"] == "project.sqlite_backend"  # SQLite, writers taking turns
    assert loaded["db_name"] == str(tmp_path.resolve() / "parley.sqlite3")
    assert (tmp_path / "broker" / "queue").is_dir()


def test_given_redis_url_when_loading_settings_then_redis_layer_and_broker(
    tmp_path: Path,
) -> None:
    loaded = _settings_in_subprocess(tmp_path, REDIS_URL="redis://cache:6379/1")
    assert loaded["channel_backend"] == "channels_redis.core.RedisChannelLayer"
    assert loaded["channel_config"] == {"hosts": ["redis://cache:6379/1"]}
    assert loaded["broker"] == "redis://cache:6379/1"


def test_given_upload_limit_when_loading_settings_then_bytes(tmp_path: Path) -> None:
    loaded = _settings_in_subprocess(tmp_path, PARLEY_MAX_UPLOAD_MB="3")
    assert loaded["max_upload"] == 3 * 1024 * 1024


def test_given_debug_off_without_secret_key_when_loading_settings_then_startup_fails(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.update(DJANGO_SETTINGS_MODULE="project.settings.base", PARLEY_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in done.stderr
