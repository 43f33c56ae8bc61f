import os

os.environ.setdefault("DEBUG", "1")

from project.settings.base import *  # noqa: F403
from project.settings.base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if DATABASES["default"]["ENGINE"] == "project.sqlite_backend":
    DATABASES["default"]["TEST"] = {"NAME": None}  # in-memory test database
