"""Signing hooks for release packaging: Authenticode (Windows), codesign + notarytool (macOS), GPG (archives).

Each hook runs only when its credentials are configured in the environment, and otherwise prints a clear
NOTICE (a GitHub `::warning::` annotation under Actions) saying the artefact is unsigned. When credentials are
configured and the tool fails, the hook raises SigningError: a release is never half-signed silently.
Credentials (passwords, passphrases) are never printed, never put in a log line, and never passed on a command
line except where the tool offers no other way (signtool /p); the command echo masks them.

Environment:
  Windows  WINDOWS_SIGN_CERT_PFX        path to a .pfx code-signing certificate, with
           WINDOWS_SIGN_CERT_PASSWORD   its password (optional), or instead
           WINDOWS_SIGN_CERT_THUMBPRINT SHA-1 thumbprint of a certificate in the Windows store (HSM, token)
           WINDOWS_SIGN_TIMESTAMP_URL   RFC 3161 timestamp server (default http://timestamp.digicert.com)
           SIGNTOOL                     path to signtool.exe (default: PATH, then the newest Windows SDK)
  macOS    MACOS_SIGN_IDENTITY          codesign identity, e.g. "Developer ID Application: Example (TEAMID)"
           MACOS_SIGN_KEYCHAIN          keychain holding it (optional)
           MACOS_ENTITLEMENTS           entitlements plist for the hardened runtime (optional)
           MACOS_NOTARY_PROFILE         `xcrun notarytool store-credentials` profile name: notarise when set
  GPG      GPG_SIGNING_KEY_ID           key id or fingerprint: detached ASCII signature FILE.asc
           GPG_SIGNING_PASSPHRASE       its passphrase (optional; fed on stdin, loopback pinentry)
  all      SECRET_SCANNER_REQUIRE_SIGNING=1   a missing credential is an error instead of a notice
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMESTAMP_URL = "http://timestamp.digicert.com"
MASK = "****"
_MACHO_MAGICS = {
    bytes.fromhex(m) for m in ("feedface", "feedfacf", "cefaedfe", "cffaedfe", "cafebabe", "bebafeca")
}


class SigningError(Exception):
    """A configured signing step failed, or a required credential is missing."""


@dataclass(frozen=True)
class SignOutcome:
    hook: str
    signed: bool
    message: str


Runner = Callable[[Sequence[str], bytes | None], None]


def run_tool(command: Sequence[str], stdin: bytes | None = None, *, secret_args: Sequence[str] = ()) -> None:
    """Run a signing tool; echo the command with every credential masked; raise SigningError on failure."""
    shown = [MASK if arg in secret_args else arg for arg in command]
    print("+ " + " ".join(shown), flush=True)
    try:
        subprocess.run(list(command), input=stdin, check=True)
    except FileNotFoundError as exc:
        raise SigningError(f"{command[0]}: not found") from exc
    except subprocess.CalledProcessError as exc:
        # The exception text would repeat the command line, credentials included: name the tool and code only.
        raise SigningError(f"{Path(command[0]).name} failed with exit code {exc.returncode}") from None


def announce(outcome: SignOutcome, env: Mapping[str, str]) -> SignOutcome:
    """Print the outcome; an unsigned artefact is a notice (a warning annotation on GitHub Actions)."""
    if outcome.signed:
        print(f"signing: {outcome.hook}: {outcome.message}", flush=True)
        return outcome
    if env.get("SECRET_SCANNER_REQUIRE_SIGNING") == "1":
        raise SigningError(f"{outcome.hook}: {outcome.message} (SECRET_SCANNER_REQUIRE_SIGNING=1)")
    prefix = "::warning title=Unsigned artefact::" if env.get("GITHUB_ACTIONS") == "true" else ""
    print(f"{prefix}NOTICE: {outcome.hook} signing SKIPPED: {outcome.message}", file=sys.stderr, flush=True)
    return outcome


# --- Windows: Authenticode -------------------------------------------------------------------------------


def find_signtool(env: Mapping[str, str]) -> str:
    if env.get("SIGNTOOL"):
        return env["SIGNTOOL"]
    on_path = shutil.which("signtool")
    if on_path:
        return on_path
    kits = os.path.join(env.get("ProgramFiles(x86)", r"C:\Program Files (x86)"), "Windows Kits", "10", "bin")
    found = sorted(glob.glob(os.path.join(kits, "10.*", "x64", "signtool.exe")))
    if not found:
        raise SigningError("signtool.exe not found: install the Windows SDK or set SIGNTOOL")
    return found[-1]


def sign_windows(executables: Sequence[Path], env: Mapping[str, str] = os.environ,
                 run: Callable[..., None] = run_tool) -> SignOutcome:
    pfx, thumbprint = env.get("WINDOWS_SIGN_CERT_PFX"), env.get("WINDOWS_SIGN_CERT_THUMBPRINT")
    if not pfx and not thumbprint:
        return announce(SignOutcome(
            "Windows Authenticode", False,
            "WINDOWS_SIGN_CERT_PFX (+ WINDOWS_SIGN_CERT_PASSWORD) or WINDOWS_SIGN_CERT_THUMBPRINT is not "
            "set; "
            "the .exe files are UNSIGNED and will only be trusted when the KEPM job runner starts them",
        ), env)
    signtool = find_signtool(env)
    timestamp = env.get("WINDOWS_SIGN_TIMESTAMP_URL") or DEFAULT_TIMESTAMP_URL
    command = [signtool, "sign", "/fd", "SHA256", "/tr", timestamp, "/td", "SHA256"]
    secret_args: list[str] = []
    if pfx:
        if not Path(pfx).is_file():
            raise SigningError(f"WINDOWS_SIGN_CERT_PFX: {pfx} is not a file")
        command += ["/f", pfx]
        password = env.get("WINDOWS_SIGN_CERT_PASSWORD")
        if password:
            # signtool has no stdin or environment option for the PFX password.
            command += ["/p", password]
            secret_args.append(password)
    else:
        command += ["/sha1", str(thumbprint)]
    names = [str(p) for p in executables]
    run([*command, *names], None, secret_args=secret_args)
    run([signtool, "verify", "/pa", *names], None)
    done = f"signed and verified {len(names)} executable(s)"
    return announce(SignOutcome("Windows Authenticode", True, done), env)


# --- macOS: codesign + notarytool ------------------------------------------------------------------------


def is_macho(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) in _MACHO_MAGICS
    except OSError:
        return False


def macho_files(folder: Path) -> list[Path]:
    """Every Mach-O file in a one-folder build, deepest first and the top-level executables last:
    codesign requires what is nested to be signed before what contains or loads it."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and is_macho(p)]
    return sorted(files, key=lambda p: (p.parent == folder, -len(p.relative_to(folder).parts), str(p)))


def sign_macos(folders: Sequence[Path], env: Mapping[str, str] = os.environ,
               run: Callable[..., None] = run_tool) -> SignOutcome:
    identity = env.get("MACOS_SIGN_IDENTITY")
    if not identity:
        return announce(SignOutcome(
            "macOS codesign/notarytool", False,
            "MACOS_SIGN_IDENTITY is not set; the binaries are UNSIGNED and NOT NOTARISED, and Gatekeeper "
            "will block them on managed Macs",
        ), env)
    base = ["codesign", "--force", "--timestamp", "--options", "runtime", "--sign", identity]
    if env.get("MACOS_SIGN_KEYCHAIN"):
        base += ["--keychain", env["MACOS_SIGN_KEYCHAIN"]]
    if env.get("MACOS_ENTITLEMENTS"):
        base += ["--entitlements", env["MACOS_ENTITLEMENTS"]]
    count = 0
    for folder in folders:
        files = macho_files(folder)
        for path in files:
            run([*base, str(path)], None)
        for path in files:
            if path.parent == folder:
                run(["codesign", "--verify", "--strict", "--verbose=2", str(path)], None)
        count += len(files)
    profile = env.get("MACOS_NOTARY_PROFILE")
    if not profile:
        announce(SignOutcome("macOS notarytool", False,
                             "MACOS_NOTARY_PROFILE is not set; signed but NOT NOTARISED"), env)
        return SignOutcome("macOS codesign", True, f"signed {count} Mach-O file(s), not notarised")
    for folder in folders:
        notarize(folder, profile, run)
    return announce(SignOutcome("macOS codesign/notarytool", True,
                                f"signed {count} Mach-O file(s) and notarised {len(folders)} folder(s)"), env)


def notarize(folder: Path, profile: str, run: Callable[..., None] = run_tool) -> None:
    """Submit a zip of the folder and wait. A bare executable cannot be stapled: Gatekeeper checks online."""
    with tempfile.TemporaryDirectory(prefix="notary-") as tmp:
        archive = Path(tmp) / f"{folder.name}.zip"
        run(["ditto", "-c", "-k", "--keepParent", str(folder), str(archive)], None)
        run(["xcrun", "notarytool", "submit", str(archive), "--keychain-profile", profile, "--wait"], None)


# --- GPG: detached signatures ----------------------------------------------------------------------------


def sign_gpg(files: Sequence[Path], env: Mapping[str, str] = os.environ,
             run: Callable[..., None] = run_tool) -> SignOutcome:
    key = env.get("GPG_SIGNING_KEY_ID")
    if not key:
        return announce(SignOutcome(
            "GPG", False,
            "GPG_SIGNING_KEY_ID is not set; no detached .asc signature for "
            + ", ".join(p.name for p in files),
        ), env)
    passphrase = env.get("GPG_SIGNING_PASSPHRASE")
    for path in files:
        signature = path.with_name(path.name + ".asc")
        command = ["gpg", "--batch", "--yes", "--local-user", key, "--armor", "--detach-sign",
                   "--output", str(signature)]
        stdin = None
        if passphrase:
            command += ["--pinentry-mode", "loopback", "--passphrase-fd", "0"]
            stdin = passphrase.encode("utf-8")
        run([*command, str(path)], stdin)
        run(["gpg", "--batch", "--verify", str(signature), str(path)], None)
    return announce(SignOutcome("GPG", True, f"detached signature(s) for {', '.join(p.name for p in files)}"),
                    env)


if __name__ == "__main__":
    # Manual use: `python packaging/sign.py gpg FILE...` (e.g. to sign SHA256SUMS after merging archives).
    if len(sys.argv) < 3 or sys.argv[1] not in ("gpg", "windows", "macos"):
        print("usage: sign.py gpg|windows|macos PATH...", file=sys.stderr)
        sys.exit(2)
    paths = [Path(p) for p in sys.argv[2:]]
    try:
        {"gpg": sign_gpg, "windows": sign_windows, "macos": sign_macos}[sys.argv[1]](paths)
    except SigningError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        sys.exit(1)
