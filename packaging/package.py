"""Package the frozen one-folder builds into the per-OS release archive, sign it, and write SHA256SUMS.

    python packaging/package.py [--os windows|linux|macos] [--dist dist] [--out out]
    python packaging/package.py --sums-only --out out      # recompute SHA256SUMS over every archive in out/

Archive (SecretScanner-<version>-windows-x64.zip, -linux-x64.tar.gz, -macos-<arch>.tar.gz):

    SecretScanner-<version>-<os>-<arch>/
      Jobs/bin/SecretScanner/SecretScanner[.exe] + _internal/  copy under {AgentRoot}: the agent's layout
      job/secrets-scanner-<os>.json                             register: deploy tool or POST /api/Jobs
      tools/secret-scanner-deploy/secret-scanner-deploy[.exe]   the deploy tool (one-folder build)
      INSTALL.md

The job JSON is NOT under Jobs/: a file dropped there by hand is reverted by the agent's Last Known Good.
Signing (see packaging/sign.py) runs on the staged copy before archiving (Authenticode, codesign/notarytool)
and on the archive afterwards (GPG, Linux); each hook prints a NOTICE when its credentials are not set.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import platform
import shutil
import stat
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGING_DIR = Path(__file__).resolve().parent
ROOT = PACKAGING_DIR.parent
sys.path.insert(0, str(PACKAGING_DIR))
sys.path.insert(0, str(ROOT / "build"))
import sign  # noqa: E402
from version_info import read_version  # noqa: E402

SCANNER = "SecretScanner"
DEPLOY = "secret-scanner-deploy"
OS_NAMES = ("windows", "linux", "macos")
ARCHIVE_SUFFIXES = (".zip", ".tar.gz")
SUMS_NAME = "SHA256SUMS"


class PackagingError(Exception):
    """The inputs are missing or inconsistent, or the archive could not be written."""


@dataclass(frozen=True)
class Package:
    version: str
    os_name: str
    arch: str

    @property
    def stem(self) -> str:
        return f"{SCANNER}-{self.version}-{self.os_name}-{self.arch}"

    @property
    def archive_name(self) -> str:
        return self.stem + (".zip" if self.os_name == "windows" else ".tar.gz")

    @property
    def exe_suffix(self) -> str:
        return ".exe" if self.os_name == "windows" else ""

    @property
    def job_name(self) -> str:
        return f"secrets-scanner-{self.os_name}.json"


@dataclass(frozen=True)
class Inputs:
    scanner_dir: Path
    deploy_dir: Path
    job_file: Path
    install_readme: Path


def host_os() -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def normalize_arch(machine: str) -> str:
    """x64 / arm64 as users read them; anything else passes through, lowercased."""
    lowered = machine.lower()
    if lowered in ("x86_64", "amd64", "x64"):
        return "x64"
    if lowered in ("arm64", "aarch64"):
        return "arm64"
    return lowered


def layout(package: Package) -> dict[str, str]:
    """Where each input goes inside the archive (relative to its top folder)."""
    return {
        "scanner": f"Jobs/bin/{SCANNER}",
        "deploy": f"tools/{DEPLOY}",
        "job": f"job/{package.job_name}",
        "readme": "INSTALL.md",
    }


def locate_inputs(package: Package, dist: Path, jobs: Path, readme: Path) -> Inputs:
    inputs = Inputs(dist / SCANNER, dist / DEPLOY, jobs / package.job_name, readme)
    required = [
        inputs.scanner_dir / f"{SCANNER}{package.exe_suffix}",
        inputs.deploy_dir / f"{DEPLOY}{package.exe_suffix}",
        inputs.job_file,
        inputs.install_readme,
    ]
    missing = [str(p) for p in required if not p.is_file()]
    if missing:
        raise PackagingError(f"missing input(s): {', '.join(missing)} (run `python build/build.py` first)")
    return inputs


def check_binary_version(scanner_exe: Path, version: str) -> None:
    """A stale dist/ from an older build must not be shipped under the new version's name."""
    try:
        done = subprocess.run([str(scanner_exe), "--version"], capture_output=True, text=True, timeout=60,
                              check=False)
    except OSError as exc:
        raise PackagingError(f"cannot run {scanner_exe}: {exc}") from exc
    expected = f"{SCANNER} {version}"
    if done.returncode != 0 or done.stdout.strip() != expected:
        raise PackagingError(f"{scanner_exe} --version printed {done.stdout.strip()!r} "
                             f"(exit {done.returncode}), expected {expected!r}: rebuild with build/build.py")


def stage(package: Package, inputs: Inputs, staging: Path) -> Path:
    top = staging / package.stem
    if top.exists():
        shutil.rmtree(top)
    places = layout(package)
    shutil.copytree(inputs.scanner_dir, top / places["scanner"], symlinks=True)
    shutil.copytree(inputs.deploy_dir, top / places["deploy"], symlinks=True)
    (top / places["job"]).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(inputs.job_file, top / places["job"])
    shutil.copy2(inputs.install_readme, top / places["readme"])
    return top


def sign_staged(package: Package, top: Path) -> None:
    places = layout(package)
    scanner_dir, deploy_dir = top / places["scanner"], top / places["deploy"]
    if package.os_name == "windows":
        sign.sign_windows([scanner_dir / f"{SCANNER}.exe", deploy_dir / f"{DEPLOY}.exe"])
    elif package.os_name == "macos":
        sign.sign_macos([scanner_dir, deploy_dir])


def source_epoch() -> int:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return int(value) if value and value.isdigit() else int(time.time())


def walk_sorted(top: Path) -> Iterator[Path]:
    """Every entry below top's parent-relative tree, directories before their contents, in a stable order."""
    yield top
    for entry in sorted(top.iterdir(), key=lambda p: p.name):
        if entry.is_dir() and not entry.is_symlink():
            yield from walk_sorted(entry)
        else:
            yield entry


def normalized_mode(path: Path) -> int:
    mode = path.lstat().st_mode
    if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
        return 0o755
    return 0o644


def write_tar_gz(top: Path, archive: Path, epoch: int) -> None:
    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = epoch
        if not info.issym():
            info.mode = 0o755 if info.isdir() or info.mode & stat.S_IXUSR else 0o644
        return info

    # Level 6: nearly the size of 9 at half the time on a 100 MB folder.
    with (archive.open("wb") as raw,
          gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=6) as gz,
          tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar):
        for path in walk_sorted(top):
            tar.add(path, arcname=path.relative_to(top.parent).as_posix(), recursive=False, filter=clean)


def write_zip(top: Path, archive: Path, epoch: int) -> None:
    date_time = time.gmtime(max(epoch, 315532800))[:6]  # zip dates start in 1980
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in walk_sorted(top):
            name = path.relative_to(top.parent).as_posix()
            if path.is_dir():
                info = zipfile.ZipInfo(name + "/", date_time)
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                zf.writestr(info, b"")
            else:
                info = zipfile.ZipInfo(name, date_time)
                info.external_attr = (stat.S_IFREG | normalized_mode(path)) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with path.open("rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sums(out: Path) -> Path:
    """SHA256SUMS over every archive in `out`, in `sha256sum -c` format, sorted by name."""
    archives = sorted(p for p in out.iterdir() if p.is_file() and p.name.endswith(ARCHIVE_SUFFIXES))
    if not archives:
        raise PackagingError(f"no archives (*.zip, *.tar.gz) in {out}")
    sums = out / SUMS_NAME
    lines = "".join(f"{sha256_file(p)}  {p.name}\n" for p in archives)
    sums.write_text(lines, encoding="utf-8", newline="\n")
    return sums


def build_package(package: Package, inputs: Inputs, out: Path, *, verify_binary: bool = True) -> Path:
    """Stage, sign, archive, GPG-sign (Linux), then refresh SHA256SUMS; returns the archive path."""
    out.mkdir(parents=True, exist_ok=True)
    if verify_binary:
        check_binary_version(inputs.scanner_dir / f"{SCANNER}{package.exe_suffix}", package.version)
    staging = out / ".staging"
    try:
        top = stage(package, inputs, staging)
        sign_staged(package, top)
        archive = out / package.archive_name
        if package.os_name == "windows":
            write_zip(top, archive, source_epoch())
        else:
            write_tar_gz(top, archive, source_epoch())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if package.os_name == "linux":
        sign.sign_gpg([archive])
    sums = write_sums(out)
    print(f"wrote {archive} ({archive.stat().st_size / 1e6:.1f} MB) and {sums}")
    return archive


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--os", dest="os_name", choices=OS_NAMES, default=host_os(),
                        help="target OS (default: this one)")
    parser.add_argument("--arch", default=normalize_arch(platform.machine()),
                        help="architecture in the name (default: this machine's, x64 or arm64)")
    parser.add_argument("--version", help="version in the name (default: secret_scanner.__version__)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="PyInstaller output (dist/)")
    parser.add_argument("--jobs", type=Path, default=ROOT / "jobs", help="job JSON folder (default: jobs/)")
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="archive folder (default: out/)")
    parser.add_argument("--sums-only", action="store_true", help="only (re)write SHA256SUMS over --out")
    parser.add_argument("--sign-sums", action="store_true", help="also GPG-sign SHA256SUMS (SHA256SUMS.asc)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.sums_only:
            sums = write_sums(args.out)
            print(sums.read_text(encoding="utf-8"), end="")
        else:
            package = Package(args.version or read_version(), args.os_name, normalize_arch(args.arch))
            inputs = locate_inputs(package, args.dist, args.jobs, PACKAGING_DIR / "INSTALL.md")
            build_package(package, inputs, args.out, verify_binary=package.os_name == host_os())
            sums = args.out / SUMS_NAME
        if args.sign_sums:
            sign.sign_gpg([sums])
    except (PackagingError, sign.SigningError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
