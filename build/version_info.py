"""Windows version resource (VSVersionInfo) of the frozen executables, made from secret_scanner.__version__.

PyInstaller reads the text form (`EXE(version=FILE)`); writing it here keeps the version in one place, the
package's `__version__`, so the Explorer "Details" tab, signtool and the agent's trust check all see it.
The module is plain Python (no PyInstaller import) so the tests can check it without a build.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPANY = "SecretScanner project"
PRODUCT = "SecretScanner"
COPYRIGHT = "Copyright (c) SecretScanner project"


def read_version(init_file: Path = REPO_ROOT / "secret_scanner" / "__init__.py") -> str:
    """The package version, read without importing the package (the build may run before it is installed)."""
    tree = ast.parse(init_file.read_text(encoding="utf-8"), filename=str(init_file))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "__version__" and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            return node.value.value
    raise ValueError(f"no __version__ = '...' in {init_file}")


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """Four 16-bit numbers for the fixed part of the resource: '1.2.3rc1' -> (1, 2, 3, 0)."""
    match = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?", version)
    if match is None:
        raise ValueError(f"version {version!r} does not start with a number")
    parts = [int(p) if p is not None else 0 for p in match.groups()]
    if any(p > 0xFFFF for p in parts):
        raise ValueError(f"version {version!r} has a part above 65535 (Windows limit)")
    return parts[0], parts[1], parts[2], parts[3]


def render_version_info(version: str, internal_name: str, description: str) -> str:
    """The VSVersionInfo text PyInstaller evaluates (its `load_version_info_from_text_file` format)."""
    numbers = version_tuple(version)
    strings = {
        "CompanyName": COMPANY,
        "FileDescription": description,
        "FileVersion": version,
        "InternalName": internal_name,
        "LegalCopyright": COPYRIGHT,
        "OriginalFilename": f"{internal_name}.exe",
        "ProductName": PRODUCT,
        "ProductVersion": version,
    }
    string_structs = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return (
        "VSVersionInfo(\n"
        "  ffi=FixedFileInfo(\n"
        f"    filevers={numbers!r},\n"
        f"    prodvers={numbers!r},\n"
        "    mask=0x3f,\n"
        "    flags=0x0,\n"
        "    OS=0x40004,\n"      # VOS_NT_WINDOWS32
        "    fileType=0x1,\n"    # VFT_APP
        "    subtype=0x0,\n"
        "    date=(0, 0)\n"
        "  ),\n"
        "  kids=[\n"
        "    StringFileInfo([\n"
        "      StringTable(\n"
        "        '040904B0',\n"  # US English, Unicode
        "        [\n"
        f"{string_structs}\n"
        "        ])\n"
        "    ]),\n"
        "    VarFileInfo([VarStruct('Translation', [1033, 1200])])\n"
        "  ]\n"
        ")\n"
    )


def write_version_info(path: Path, version: str, internal_name: str, description: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_version_info(version, internal_name, description), encoding="utf-8")
    return path


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / "build" / "work" / "version_info.txt"
    write_version_info(target, read_version(), "SecretScanner", "SecretScanner secrets scanner")
    print(target)
