"""Unpack an uploaded project archive (.zip, .tar.gz, .tgz, .tar) safely.

Refused: members whose path escapes the destination (absolute, ``..``, drive letters), links
(symbolic or hard) and device files, more than ``max_files`` members, or more than ``max_bytes``
in all. Sizes are checked from the headers first and again while copying, so a header that lies
about a member's size cannot get past the limit.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from annotation.rasa_io.errors import ArchiveError
from annotation.rasa_io.types import Problem

CHUNK = 1 << 16
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")


@dataclass(frozen=True)
class _Member:
    name: str
    size: int
    is_dir: bool


def _fail(archive: Path, message: str) -> ArchiveError:
    return ArchiveError(Problem("error", "invalid_archive", message, file=archive.name))


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def extract_archive(archive: Path, dest: Path, *, max_bytes: int, max_files: int) -> Path:
    """Extract ``archive`` into ``dest``; return the project root (a lone top folder, or dest)."""
    name = archive.name.lower()
    dest.mkdir(parents=True, exist_ok=True)
    dest = dest.resolve()
    try:
        if name.endswith(".zip"):
            _extract_zip(archive, dest, max_bytes, max_files)
        elif name.endswith((".tar.gz", ".tgz", ".tar")):
            _extract_tar(archive, dest, max_bytes, max_files)
        else:
            raise _fail(archive, "unsupported archive type: use .zip, .tar.gz, .tgz or .tar")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as error:
        raise _fail(archive, f"the archive cannot be read: {error}") from None
    return _project_root(dest)


def _safe_target(archive: Path, dest: Path, name: str) -> Path | None:
    """Where a member lands inside dest; ``None`` for the archive's root itself."""
    clean = name.replace("\\", "/")
    pure = PurePosixPath(clean)
    if clean.startswith("/") or pure.is_absolute() or (pure.parts and ":" in pure.parts[0]):
        raise _fail(archive, f"member {name!r} has an absolute path")
    parts = [part for part in pure.parts if part not in ("", ".")]
    if ".." in parts:
        raise _fail(archive, f"member {name!r} points outside the archive ('..')")
    if not parts:
        return None
    target = dest.joinpath(*parts).resolve()
    if not target.is_relative_to(dest):
        raise _fail(archive, f"member {name!r} points outside the archive")
    return target


class _Budget:
    def __init__(self, archive: Path, max_bytes: int, max_files: int) -> None:
        self.archive = archive
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.written = 0

    def check_declared(self, members: list[_Member]) -> None:
        if len(members) > self.max_files:
            raise _fail(
                self.archive, f"the archive has {len(members)} members, more than {self.max_files}"
            )
        total = sum(m.size for m in members if not m.is_dir)
        if total > self.max_bytes:
            raise _fail(self.archive, self._too_big(total))

    def _too_big(self, size: int) -> str:
        return f"the archive expands to more than {self.max_bytes} bytes ({size} or more)"

    def copy(self, source: IO[bytes], target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            while chunk := source.read(CHUNK):
                self.written += len(chunk)
                if self.written > self.max_bytes:
                    raise _fail(self.archive, self._too_big(self.written))
                out.write(chunk)


def _extract_zip(archive: Path, dest: Path, max_bytes: int, max_files: int) -> None:
    budget = _Budget(archive, max_bytes, max_files)
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        budget.check_declared([_Member(i.filename, i.file_size, i.is_dir()) for i in infos])
        for info in infos:
            target = _safe_target(archive, dest, info.filename)
            file_type = stat.S_IFMT(info.external_attr >> 16)
            if file_type == stat.S_IFLNK:
                raise _fail(archive, f"member {info.filename!r} is a symbolic link")
            if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise _fail(archive, f"member {info.filename!r} is not a regular file")
            if target is None:
                continue
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            with zf.open(info) as source:
                budget.copy(source, target)


def _extract_tar(archive: Path, dest: Path, max_bytes: int, max_files: int) -> None:
    budget = _Budget(archive, max_bytes, max_files)
    with tarfile.open(archive, mode="r:*") as tf:
        members = _tar_members(archive, tf, max_files)
        budget.check_declared([_Member(m.name, m.size, m.isdir()) for m in members])
        for member in members:
            target = _safe_target(archive, dest, member.name)
            if target is None:
                continue
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            source = tf.extractfile(member)
            if source is None:  # pragma: no cover - regular files always have data
                continue
            with source:
                budget.copy(source, target)


def _tar_members(archive: Path, tf: tarfile.TarFile, max_files: int) -> list[tarfile.TarInfo]:
    """Read headers one at a time, stopping as soon as there are too many or an unsafe one."""
    members: list[tarfile.TarInfo] = []
    while (member := tf.next()) is not None:
        members.append(member)
        if len(members) > max_files:
            raise _fail(archive, f"the archive has more than {max_files} members")
        if member.issym() or member.islnk():
            raise _fail(archive, f"member {member.name!r} is a link (links are not allowed)")
        if not (member.isfile() or member.isdir()):
            raise _fail(archive, f"member {member.name!r} is not a regular file or folder")
    return members


def _project_root(dest: Path) -> Path:
    """A single top-level folder (ignoring hidden entries and __MACOSX) is the project root."""
    entries = [
        entry
        for entry in dest.iterdir()
        if not entry.name.startswith(".") and entry.name != "__MACOSX"
    ]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return dest
