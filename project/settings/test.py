import os
import tempfile

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
    # a file, not memory: an in-memory database is one connection that Django's live server
    # shares across threads, and a page's request during another one's transaction failed
    # with "cannot open savepoint"; with a file each thread has its own connection, and
    # writers take turns (project/sqlite_backend)
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"parley-test-{os.getpid()}.sqlite3")
    }
