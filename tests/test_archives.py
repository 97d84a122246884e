"""Archives read as bounded streams: members found and named, bombs stopped by their limit, bad input counted.

Every archive is generated here (zipfile, tarfile, gzip, bz2, lzma) around specimen secrets.
"""

from __future__ import annotations

import bz2
import gzip
import io
import logging
import lzma
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.config import load_config
from secret_scanner.engine.archives import ArchiveLimits, Skip
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.errors import ConfigError
from secret_scanner.model import ScanResult

TEST_RULES = Path(__file__).parent / "data" / "engine_rules"


def _scan(root: Path, **limits: object) -> ScanResult:
    options = ScanOptions(roots=(root,), rules=load_rules(TEST_RULES),
                          archives=ArchiveLimits(**limits))  # type: ignore[arg-type]
    return scan(options, Fingerprinter(b"k" * 32, "test"))


def _secret_text() -> tuple[str, bytes]:
    token = specimen.make("github", "ghp_")
    return token, f"# settings\nAPI = 1\n  token = {token}\n".encode()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _locations(result: ScanResult, root: Path) -> list[str]:
    return sorted(f"{Path(f.path).relative_to(root).as_posix()}:{f.line}:{f.column}" for f in result.findings)


def _reasons(result: ScanResult) -> dict[str, int]:
    return dict(result.stats.skip_reasons)


# -- members are found and named -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["backup.zip", "app.jar", "site.war", "runbook.docx", "pkg.nupkg", "x.whl"])
def test_a_secret_in_a_zip_family_member_is_named_with_line_and_column(tmp_path: Path, name: str) -> None:
    _, text = _secret_text()
    (tmp_path / name).write_bytes(_zip({"app/.env": text, "README": b"nothing here\n"}))
    result = _scan(tmp_path)
    assert _locations(result, tmp_path) == [f"{name}!app/.env:3:11"]
    assert result.stats.archives_scanned == 1 and result.stats.members_scanned == 2
    assert result.complete


@pytest.mark.parametrize(("name", "pack"), [
    ("conf.tar.gz", lambda m: _tar(m, "w:gz")), ("conf.tgz", lambda m: _tar(m, "w:gz")),
    ("conf.tar", lambda m: _tar(m, "w")), ("conf.tar.bz2", lambda m: _tar(m, "w:bz2")),
    ("conf.tar.xz", lambda m: _tar(m, "w:xz")),
])
def test_a_secret_in_a_tar_member_is_found(tmp_path: Path, name: str, pack: object) -> None:
    _, text = _secret_text()
    (tmp_path / name).write_bytes(pack({"etc/app.conf": text}))  # type: ignore[operator]
    assert _locations(_scan(tmp_path), tmp_path) == [f"{name}!etc/app.conf:3:11"]


@pytest.mark.parametrize(("name", "compress"), [
    ("dump.sql.gz", gzip.compress), ("dump.sql.bz2", bz2.compress), ("dump.sql.xz", lzma.compress)])
def test_a_secret_in_a_compressed_stream_is_named_after_the_stream(tmp_path: Path, name: str,
                                                                   compress: object) -> None:
    _, text = _secret_text()
    (tmp_path / name).write_bytes(compress(text))  # type: ignore[operator]
    assert _locations(_scan(tmp_path), tmp_path) == [f"{name}!dump.sql:3:11"]


def test_a_secret_three_levels_deep_is_found_and_a_fourth_level_is_counted(tmp_path: Path) -> None:
    token, text = _secret_text()
    level3 = _zip({"deep/.env": text})
    level2 = _tar({"bundle/inner.zip": level3})
    (tmp_path / "outer.zip").write_bytes(_zip({"mid.tar.gz": level2}))
    level4 = _zip({"too-deep.zip": _zip({"x/.env": text})})
    (tmp_path / "deeper.zip").write_bytes(_zip({"a.tar.gz": _tar({"b.zip": level4})}))
    result = _scan(tmp_path)
    assert _locations(result, tmp_path) == ["outer.zip!mid.tar.gz!bundle/inner.zip!deep/.env:3:11"]
    assert _reasons(result)[Skip.DEPTH.value] == 1
    assert all(token not in f.redacted for f in result.findings)


def test_the_same_secret_in_an_archive_and_on_disk_has_one_fingerprint(tmp_path: Path) -> None:
    _, text = _secret_text()
    (tmp_path / "live.env").write_bytes(text)
    (tmp_path / "old.zip").write_bytes(_zip({"live.env": text}))
    findings = _scan(tmp_path).findings
    assert len(findings) == 2 and findings[0].fingerprint == findings[1].fingerprint


def test_path_bound_rules_apply_to_members_at_any_level(tmp_path: Path) -> None:
    entry = f"db-prod.internal:5432:orders:app_rw:{specimen.make('alnum', '24')}\n".encode()
    (tmp_path / "home.tar.gz").write_bytes(_tar({".pgpass": entry, "alice/.pgpass": entry, "alice/notes": entry}))
    options = ScanOptions(roots=(tmp_path,))  # the shipped catalog: pgpass.password runs only on .pgpass files
    result = scan(options, Fingerprinter(b"k" * 32, "t"))
    found = sorted((Path(f.path).relative_to(tmp_path).as_posix(), f.rule_id) for f in result.findings)
    assert found == [("home.tar.gz!.pgpass", "pgpass.password"), ("home.tar.gz!alice/.pgpass", "pgpass.password")]


def test_depth_zero_leaves_archives_unopened(tmp_path: Path) -> None:
    _, text = _secret_text()
    (tmp_path / "old.zip").write_bytes(_zip({"live.env": text}))
    result = _scan(tmp_path, max_depth=0)
    assert result.findings == () and result.stats.archives_scanned == 0


# -- bombs ------------------------------------------------------------------------------------------------


_TEXT_MEGABYTE = b"status ok\n" * (1024 * 1024 // 10)


def _zero_member(archive: zipfile.ZipFile, name: str, megabytes: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        block = _TEXT_MEGABYTE  # text: a binary member would be dropped after its first 8 KiB anyway
        for _ in range(megabytes):
            member.write(block)


def test_a_single_member_ratio_bomb_stops_at_the_ratio_and_the_scan_goes_on(tmp_path: Path) -> None:
    _, text = _secret_text()
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("first/.env", text)
        _zero_member(archive, "zeros.bin", 40)
        archive.writestr("after/.env", text)
    (tmp_path / "plain.env").write_bytes(text)
    started = time.monotonic()
    result = _scan(tmp_path)
    assert time.monotonic() - started < 20
    assert _reasons(result) == {Skip.RATIO.value: 1}
    # what came before the bomb is reported; the archive stops at the bomb; files after it are scanned
    assert _locations(result, tmp_path) == ["bomb.zip!first/.env:3:11", "plain.env:3:11"]
    assert result.complete


def test_a_member_declared_larger_than_the_file_limit_is_skipped_unread(tmp_path: Path) -> None:
    _, text = _secret_text()
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        _zero_member(archive, "zeros.bin", 3)
        archive.writestr("after/.env", text)
    result = _scan(tmp_path, max_member_bytes=2 * 1024 * 1024)
    assert _reasons(result) == {Skip.MEMBER_TOO_LARGE.value: 1}
    assert _locations(result, tmp_path) == ["big.zip!after/.env:3:11"]


def test_a_gzip_ratio_bomb_is_stopped(tmp_path: Path) -> None:
    compressor = zlib_gzip(_TEXT_MEGABYTE, 300)
    (tmp_path / "huge.log.gz").write_bytes(compressor)  # ~500:1; 300 MiB out would pass the size limit
    result = _scan(tmp_path, max_ratio=50.0)
    assert _reasons(result) == {Skip.RATIO.value: 1}
    assert result.complete


def zlib_gzip(block: bytes, repeats: int) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as stream:
        for _ in range(repeats):
            stream.write(block)
    return buffer.getvalue()


def test_a_nested_bomb_is_stopped_by_the_shared_byte_budget(tmp_path: Path) -> None:
    # 42.zip in small: each level multiplies; no single member breaks the ratio, the total does.
    member = bytes(range(256)) * 4096 * 4  # 4 MiB of a pattern deflate squeezes ~100x at most
    leaf = _zip({f"part{i}.bin": member for i in range(4)})
    middle = _zip({f"leaf{i}.zip": leaf for i in range(8)})
    (tmp_path / "nested.zip").write_bytes(_zip({f"mid{i}.zip": middle for i in range(8)}))
    started = time.monotonic()
    result = _scan(tmp_path, max_bytes=32 * 1024 * 1024, max_ratio=100_000.0)
    assert time.monotonic() - started < 30
    assert _reasons(result).get(Skip.BYTES.value) == 1
    assert result.stats.members_scanned < 8 * 8 * 4
    assert result.complete


def test_a_member_count_bomb_stops_at_the_member_limit(tmp_path: Path) -> None:
    _, text = _secret_text()
    members = {f"f{i:05d}.txt": b"x" for i in range(3000)}
    members["f00000.txt"] = text
    (tmp_path / "many.zip").write_bytes(_zip(members))
    (tmp_path / "many.tar").write_bytes(_tar(members, "w"))
    result = _scan(tmp_path, max_members=500)
    assert _reasons(result) == {Skip.MEMBERS.value: 2}
    assert result.stats.members_scanned == 1000
    assert _locations(result, tmp_path) == ["many.tar!f00000.txt:3:11", "many.zip!f00000.txt:3:11"]


def test_an_oversized_central_directory_is_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secret_scanner.engine import archives

    monkeypatch.setattr(archives, "MAX_CENTRAL_DIRECTORY", 1000)
    (tmp_path / "dir.zip").write_bytes(_zip({f"n{i}.txt": b"x" for i in range(100)}))
    result = _scan(tmp_path)
    assert _reasons(result) == {Skip.MEMBERS.value: 1} and result.stats.members_scanned == 0


def test_the_archive_deadline_stops_one_archive_not_the_scan(tmp_path: Path) -> None:
    _, text = _secret_text()
    (tmp_path / "slow.zip").write_bytes(_zip({f"m{i}.txt": b"y" * 1000 for i in range(200)}))
    (tmp_path / "z.env").write_bytes(text)
    result = _scan(tmp_path, max_seconds=1e-9)
    assert _reasons(result) == {Skip.TIME.value: 1}
    assert _locations(result, tmp_path) == ["z.env:3:11"] and result.complete


def test_the_scan_time_budget_applies_inside_archives(tmp_path: Path) -> None:
    _, text = _secret_text()
    (tmp_path / "a.zip").write_bytes(_zip({f"m{i}.env": text for i in range(50)}))
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 12

    options = ScanOptions(roots=(tmp_path,), rules=load_rules(TEST_RULES))
    result = scan(options, Fingerprinter(b"k" * 32, "test"), should_stop=should_stop)
    assert not result.complete and "stopped by signal" in result.incomplete_reasons
    assert 0 < len(result.findings) < 50


# -- hostile names and members ----------------------------------------------------------------------------


def test_traversal_and_absolute_member_names_are_only_text(tmp_path: Path) -> None:
    _, text = _secret_text()
    root = tmp_path / "scan"
    root.mkdir()
    (root / "evil.zip").write_bytes(_zip({"../../escape.env": text, "/abs/root.env": text}))
    (root / "evil.tar.gz").write_bytes(_tar({"../../../escape.env": text, "/etc/abs.env": text}))
    before = sorted(p.as_posix() for p in tmp_path.rglob("*"))
    result = _scan(root)
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == before  # nothing was written anywhere
    assert _locations(result, root) == ["evil.tar.gz!../../../escape.env:3:11", "evil.tar.gz!/etc/abs.env:3:11",
                                        "evil.zip!../../escape.env:3:11", "evil.zip!/abs/root.env:3:11"]


def test_symlink_and_device_members_are_skipped_and_counted(tmp_path: Path) -> None:
    _, text = _secret_text()
    (tmp_path / "secret.env").write_bytes(text)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, kind in (("link.env", tarfile.SYMTYPE), ("hard.env", tarfile.LNKTYPE),
                           ("dev", tarfile.CHRTYPE), ("fifo", tarfile.FIFOTYPE)):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = str(tmp_path / "secret.env")
            archive.addfile(info)
    (tmp_path / "links.tgz").write_bytes(buffer.getvalue())
    link = zipfile.ZipInfo("zlink.env")
    link.external_attr = (0o120777 << 16)
    with zipfile.ZipFile(tmp_path / "links.zip", "w") as archive:
        archive.writestr(link, str(tmp_path / "secret.env"))
    result = _scan(tmp_path)
    assert _reasons(result) == {Skip.LINK.value: 5}
    assert _locations(result, tmp_path) == ["secret.env:3:11"]  # the link target was not read through them


def _corrupt_variants(text: bytes) -> dict[str, bytes]:
    whole = _zip({"a.env": text * 50})
    return {"truncated.zip": whole[: len(whole) // 2], "garbage.gz": b"not gzip at all " * 20,
            "garbage.tar.gz": gzip.compress(b"\x01" * 2000), "broken.tar.bz2": b"BZh9" + b"\x00" * 300,
            "empty-named.xz": b"\xfd7zXZ\x00" + b"\xff" * 50}


def test_corrupt_archives_are_counted_unreadable_and_leak_nothing(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    token, text = _secret_text()
    for name, data in _corrupt_variants(text).items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "ok.env").write_bytes(text)
    with caplog.at_level(logging.DEBUG):
        result = _scan(tmp_path)
    assert result.complete and _locations(result, tmp_path) == ["ok.env:3:11"]
    assert result.stats.read_errors == 5
    assert _reasons(result) == {Skip.CORRUPT.value: 5}
    assert token not in caplog.text and token[4:12] not in caplog.text


def test_an_encrypted_zip_member_is_skipped_and_counted(tmp_path: Path) -> None:
    _, text = _secret_text()
    data = bytearray(_zip({"secret.env": text}))
    # Set the "encrypted" flag bit in the local and central headers (zipfile cannot write encryption).
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x01
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    result = _scan(tmp_path)
    assert result.findings == () and _reasons(result) == {Skip.ENCRYPTED.value: 1} and result.complete


# -- config -------------------------------------------------------------------------------------------------


def test_archive_limits_come_from_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "secret-scanner.toml"
    path.write_text("archive_max_depth = 0\narchive_max_members = 7\narchive_max_ratio = 12.5\n")
    config = load_config(path)
    assert (config.archive_max_depth, config.archive_max_members, config.archive_max_ratio) == (0, 7, 12.5)
    for bad in ("archive_max_depth = -1", "archive_max_depth = 2.5", "archive_max_bytes = 0",
                "archive_max_seconds = 'x'", "archive_max_everything = 1"):
        path.write_text(bad + "\n")
        with pytest.raises(ConfigError):
            load_config(path)
