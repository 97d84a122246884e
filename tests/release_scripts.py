"""The release scripts under test, loaded from build/ and packaging/ (not a package), and what the packaging
tests share: a recording stand-in for signing tools, a fake dist/ and jobs/, one packaging run, and an
environment without signing credentials.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


version_info = load("version_info", ROOT / "build" / "version_info.py")
sign = load("sign", ROOT / "packaging" / "sign.py")
package = load("package", ROOT / "packaging" / "package.py")
fixture_tree = load("fixture_tree", ROOT / "build" / "fixture_tree.py")


class FakeRunner:
    """Records the commands a signing hook would run, instead of running signtool/codesign/gpg."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], bytes | None, list[str]]] = []

    def __call__(self, command: list[str], stdin: bytes | None, *,
                 secret_args: list[str] | tuple[str, ...] = ()) -> None:
        self.calls.append((list(command), stdin, list(secret_args)))


def make_fake_dist(tmp: Path, suffix: str) -> Path:
    dist = tmp / "dist"
    for name in ("SecretScanner", "secret-scanner-deploy"):
        folder = dist / name
        (folder / "_internal" / "secret_scanner" / "rules").mkdir(parents=True)
        exe = folder / f"{name}{suffix}"
        exe.write_bytes(b"\x7fELF fake " + name.encode())
        exe.chmod(0o755)
        (folder / "_internal" / "libpython-fake.so").write_bytes(b"lib" * 100)
        (folder / "_internal" / "secret_scanner" / "rules" / "github.toml").write_text("[[rules]]\n")
    return dist


def make_jobs(tmp: Path) -> Path:
    jobs = tmp / "jobs"
    jobs.mkdir()
    for os_name in ("windows", "linux", "macos"):
        (jobs / f"secrets-scanner-{os_name}.json").write_text(f'{{"id": "secrets-scanner-{os_name}"}}\n')
    return jobs


def build(tmp: Path, os_name: str, arch: str = "x64", version: str = "1.2.3", out: Path | None = None,
          dist: Path | None = None) -> Path:
    pkg = package.Package(version, os_name, arch)
    dist = dist or make_fake_dist(tmp / os_name, pkg.exe_suffix)
    jobs = tmp / "jobs" if (tmp / "jobs").is_dir() else make_jobs(tmp)
    inputs = package.locate_inputs(pkg, dist, jobs, ROOT / "packaging" / "INSTALL.md")
    result: Path = package.build_package(pkg, inputs, out or tmp / "out", verify_binary=False)
    return result
