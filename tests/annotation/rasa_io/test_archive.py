from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from annotation.rasa_io.archive import extract_archive
from annotation.rasa_io.errors import ArchiveError

LIMITS = {"max_bytes": 10_000, "max_files": 20}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> Path:
    data = data or {}
    with tarfile.open(path, "w:gz") as tf:
        for info in members:
            content = data.get(info.name)
            tf.addfile(info, io.BytesIO(content) if content is not None else None)
    return path


def _file(name: str, data: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info


def test_given_zip_with_one_top_folder_when_extracted_then_folder_is_root(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "p.zip", {"bot/domain.yml": b"intents: []\n", "bot/data/nlu.yml": b"nlu: []\n"}
    )
    root = extract_archive(archive, tmp_path / "out", **LIMITS)
    assert root == (tmp_path / "out" / "bot").resolve()
    assert (root / "data" / "nlu.yml").read_bytes() == b"nlu: []\n"


def test_given_flat_tgz_when_extracted_then_dest_is_root(tmp_path: Path) -> None:
    members = {"domain.yml": b"intents: []\n", "config.yml": b"language: en\n"}
    archive = _tar(tmp_path / "p.tgz", [_file(n, d) for n, d in members.items()], members)
    root = extract_archive(archive, tmp_path / "out", **LIMITS)
    assert root == (tmp_path / "out").resolve()
    assert (root / "config.yml").read_bytes() == b"language: en\n"


@pytest.mark.parametrize("name", ["../evil.yml", "/etc/evil.yml", "a/../../evil.yml", "C:/x"])
def test_given_zip_member_escaping_when_extracted_then_refused(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / "p.zip", {name: b"x"})
    with pytest.raises(ArchiveError, match=r"outside|absolute"):
        extract_archive(archive, tmp_path / "out", **LIMITS)
    assert not (tmp_path / "evil.yml").exists()


def test_given_tar_traversal_when_extracted_then_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "p.tar.gz", [_file("../evil.yml", b"x")], {"../evil.yml": b"x"})
    with pytest.raises(ArchiveError):
        extract_archive(archive, tmp_path / "out", **LIMITS)
    assert not (tmp_path / "evil.yml").exists()


def test_given_tar_symlink_escaping_when_extracted_then_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("bot/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc"
    through = _file("bot/link/passwd", b"x")
    archive = _tar(tmp_path / "p.tar.gz", [link, through], {"bot/link/passwd": b"x"})
    with pytest.raises(ArchiveError, match="link"):
        extract_archive(archive, tmp_path / "out", **LIMITS)


def test_given_tar_hardlink_when_extracted_then_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("bot/hard")
    link.type = tarfile.LNKTYPE
    link.linkname = "../../outside"
    archive = _tar(tmp_path / "p.tar", [link])
    with pytest.raises(ArchiveError, match="link"):
        extract_archive(archive, tmp_path / "out", **LIMITS)


def test_given_tar_device_file_when_extracted_then_refused(tmp_path: Path) -> None:
    device = tarfile.TarInfo("bot/dev")
    device.type = tarfile.CHRTYPE
    archive = _tar(tmp_path / "p.tar.gz", [device])
    with pytest.raises(ArchiveError, match="not a regular file"):
        extract_archive(archive, tmp_path / "out", **LIMITS)


def test_given_zip_symlink_when_extracted_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("bot/link")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        extract_archive(path, tmp_path / "out", **LIMITS)


def test_given_too_many_members_when_extracted_then_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "p.zip", {f"f{i}.txt": b"x" for i in range(21)})
    with pytest.raises(ArchiveError, match="more than 20"):
        extract_archive(archive, tmp_path / "out", **LIMITS)


def test_given_zip_bomb_when_extracted_then_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "p.zip", {"big.txt": b"0" * 50_000_000})
    assert archive.stat().st_size < 200_000
    with pytest.raises(ArchiveError, match="more than 10000 bytes"):
        extract_archive(archive, tmp_path / "out", **LIMITS)


def test_given_lying_size_header_when_extracted_then_actual_bytes_are_counted(
    tmp_path: Path,
) -> None:
    path = _zip(tmp_path / "p.zip", {"big.txt": b"0" * 50_000})
    raw = bytearray(path.read_bytes())
    # Patch the declared uncompressed size (local header and central directory) to 10 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        raw[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as zf:
        assert zf.infolist()[0].file_size == 10
    with pytest.raises(ArchiveError):
        extract_archive(path, tmp_path / "out", **LIMITS)
    written = tmp_path / "out" / "big.txt"
    assert not written.exists() or written.stat().st_size <= LIMITS["max_bytes"] + 65_536


def test_given_tar_total_over_limit_when_extracted_then_refused(tmp_path: Path) -> None:
    data = {f"f{i}": b"y" * 4000 for i in range(3)}
    archive = _tar(tmp_path / "p.tgz", [_file(n, d) for n, d in data.items()], data)
    with pytest.raises(ArchiveError, match="bytes"):
        extract_archive(archive, tmp_path / "out", **LIMITS)


def test_given_garbage_when_extracted_then_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(ArchiveError, match="cannot be read"):
        extract_archive(path, tmp_path / "out", **LIMITS)


def test_given_unknown_suffix_when_extracted_then_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "p.rar"
    path.write_bytes(b"x")
    with pytest.raises(ArchiveError, match="unsupported"):
        extract_archive(path, tmp_path / "out", **LIMITS)
