#!/usr/bin/env bash
# The frozen-binary part of CI (Linux): build the one-folder binary with PyInstaller and exercise IT, not the
# source tree: --version, --self-test, a local scan of planted specimens, the real-broker job-mode test,
# the job validator, the release archive's layout, and the workflow linters.
#
# Called by .ci/run after the unit tests, with the project venv's python first on PATH. Installs nothing
# outside that venv (pip only). Run from anywhere: it works in the repository root.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PY=$(command -v python)
BIN_DIR=$(dirname "$PY")
FROZEN=$ROOT/dist/SecretScanner/SecretScanner
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ci-frozen.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STARTED=$SECONDS

section() { printf '\n===== [%3ss] %s =====\n' "$((SECONDS - STARTED))" "$*"; }
fail() { echo "ci-frozen: FAIL: $*" >&2; exit 1; }

section "tools (pip into $(dirname "$BIN_DIR") only if missing)"
if ! "$PY" -c "import PyInstaller" 2>/dev/null || [ ! -x "$BIN_DIR/zizmor" ] || [ ! -x "$BIN_DIR/actionlint" ]; then
    "$PY" -m pip install --quiet -e ".[build,lint]"
fi
"$PY" -m PyInstaller --version
# PyInstaller on Linux needs objdump (binutils) and the interpreter's shared libpython; a fresh Debian lacks both.
command -v objdump > /dev/null || fail "objdump not found: apt-get install binutils"
LIBPYTHON=$("$PY" -c 'from PyInstaller.depend.bindepend import get_python_library_path as g; print(g() or "")')
[ -n "$LIBPYTHON" ] || fail "no shared libpython for $("$PY" -V): apt-get install libpython3-dev (or a --enable-shared build)"
echo "libpython: $LIBPYTHON"

section "freeze: python build/build.py"
"$PY" build/build.py

section "frozen: SecretScanner --version"
VERSION=$("$PY" -c 'import secret_scanner; print(secret_scanner.__version__)')
OUT=$("$FROZEN" --version)
echo "$OUT"
[ "$OUT" = "SecretScanner $VERSION" ] || fail "--version printed '$OUT', expected 'SecretScanner $VERSION'"

section "frozen: SecretScanner --self-test"
"$FROZEN" --self-test || fail "--self-test exited $?"

section "frozen: local scan of a planted fixture tree (expect exit 1, planted rule ids, no leak)"
"$PY" build/fixture_tree.py run "$FROZEN" --work "$WORK/fixture" --expect-engine hyperscan

section "frozen: real-broker job mode and leak check (SECRET_SCANNER_BIN=$FROZEN pytest tests/test_jobmode.py tests/test_leak.py)"
SECRET_SCANNER_BIN=$FROZEN "$PY" -m pytest -q -p no:cacheprovider tests/test_jobmode.py tests/test_leak.py

section "frozen: Startup and interval runs through the development agent (SECRET_SCANNER_BIN=$FROZEN pytest tests/test_devagent.py)"
SECRET_SCANNER_BIN=$FROZEN "$PY" -m pytest -q -p no:cacheprovider tests/test_devagent.py

section "job definitions: secret-scanner-jobs validate jobs/*.json"
"$BIN_DIR/secret-scanner-jobs" validate jobs/*.json

section "package: python packaging/package.py --os linux"
"$PY" packaging/package.py --os linux --out "$WORK/out"
ARCHIVE=$(ls "$WORK"/out/SecretScanner-"$VERSION"-linux-*.tar.gz)
STEM=$(basename "$ARCHIVE" .tar.gz)
(cd "$WORK/out" && sha256sum -c SHA256SUMS)
tar -tzf "$ARCHIVE" > "$WORK/listing"
for entry in "Jobs/bin/SecretScanner/SecretScanner" "Jobs/bin/SecretScanner/_internal/" \
             "tools/secret-scanner-deploy/secret-scanner-deploy" "job/secrets-scanner-linux.json" "INSTALL.md"; do
    grep -qx "$STEM/$entry" "$WORK/listing" || fail "archive lacks $STEM/$entry"
done
if grep -v "^$STEM/" "$WORK/listing" | grep -q .; then fail "archive has entries outside $STEM/"; fi
mkdir "$WORK/unpacked"
tar -xzf "$ARCHIVE" -C "$WORK/unpacked"
UNPACKED=$("$WORK/unpacked/$STEM/Jobs/bin/SecretScanner/SecretScanner" --version)
[ "$UNPACKED" = "SecretScanner $VERSION" ] || fail "unpacked binary printed '$UNPACKED'"
"$WORK/unpacked/$STEM/tools/secret-scanner-deploy/secret-scanner-deploy" --help > /dev/null \
    || fail "unpacked deploy tool does not start"
# The unpacked folder is laid out like an agent root: the validator's binary check resolves the job's
# command through Jobs/bin/SecretScanner/ exactly as the job runner does.
"$BIN_DIR/secret-scanner-jobs" validate --agent-root "$WORK/unpacked/$STEM" \
    "$WORK/unpacked/$STEM/job/secrets-scanner-linux.json" \
    | tee "$WORK/validate-unpacked"
if grep -q "binary check skipped" "$WORK/validate-unpacked"; then
    fail "the validator skipped the binary check on the unpacked archive"
fi
echo "archive OK: $(basename "$ARCHIVE") ($(du -h "$ARCHIVE" | cut -f1))"

section "workflows: actionlint + zizmor"
"$BIN_DIR/actionlint" .github/workflows/*.yml
"$BIN_DIR/zizmor" --offline --no-progress .github/workflows

section "ci-frozen: all checks passed in $((SECONDS - STARTED))s"
