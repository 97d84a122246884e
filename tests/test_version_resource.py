"""The Windows version resource of the frozen binary: the version tuple, and the resource text PyInstaller
evaluates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from release_scripts import version_info

# No signing key from the environment reaches these tests.
pytestmark = pytest.mark.usefixtures("no_signing_credentials")

# ------------------------------------------------------------------------------------ version resource


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1.0", (0, 1, 0, 0)), ("1.2.3rc1", (1, 2, 3, 0)), ("2.0", (2, 0, 0, 0)), ("1.2.3.4", (1, 2, 3, 4)),
])
def test_version_tuple_takes_the_leading_numbers(version: str, expected: tuple[int, ...]) -> None:
    assert version_info.version_tuple(version) == expected


def test_version_tuple_rejects_what_windows_cannot_hold() -> None:
    with pytest.raises(ValueError, match="65535"):
        version_info.version_tuple("1.70000.0")
    with pytest.raises(ValueError, match="number"):
        version_info.version_tuple("dev")


def test_version_comes_from_the_package() -> None:
    from secret_scanner import __version__

    assert version_info.read_version() == __version__


def test_version_resource_text_is_the_structure_pyinstaller_evaluates() -> None:
    def record(kind: str) -> Any:
        return lambda *args, **kwargs: (kind, args, kwargs)

    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct", "VarFileInfo",
             "VarStruct")
    text = version_info.render_version_info("1.2.3", "SecretScanner", "Secrets scanner")
    kind, _, fields = eval(text, {"__builtins__": {}}, {n: record(n) for n in names})  # noqa: S307 - our own text
    assert kind == "VSVersionInfo"
    assert fields["ffi"][2]["filevers"] == (1, 2, 3, 0) and fields["ffi"][2]["prodvers"] == (1, 2, 3, 0)
    string_table = fields["kids"][0][1][0][0]
    strings = dict(entry[1] for entry in string_table[1][1])
    assert strings["ProductVersion"] == "1.2.3" and strings["OriginalFilename"] == "SecretScanner.exe"


@pytest.mark.skipif(sys.platform != "win32", reason="PyInstaller's version-resource code needs win32 modules")
def test_version_resource_text_loads_in_pyinstaller(tmp_path: Path) -> None:
    versioninfo: Any = pytest.importorskip("PyInstaller.utils.win32.versioninfo")
    path = version_info.write_version_info(tmp_path / "v.txt", "1.2.3", "SecretScanner", "Secrets scanner")
    loaded = versioninfo.load_version_info_from_text_file(str(path))
    assert loaded.ffi.fileVersionMS == (1 << 16) | 2 and loaded.ffi.fileVersionLS == 3 << 16
    text = str(loaded)
    assert "StringStruct('ProductVersion', '1.2.3')" in text
    assert "StringStruct('OriginalFilename', 'SecretScanner.exe')" in text
