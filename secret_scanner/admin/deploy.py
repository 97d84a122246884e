"""`secret-scanner-deploy`: install the SecretScanner binary and register its job with a local KEPM agent.

Flow: validate the job offline, copy the built binary folder into {agent root}/Jobs/bin/SecretScanner/, then
over HTTPS with mutual TLS: POST /api/Jobs/validate, create (POST) or update (PUT) the job, read it back, and
optionally trigger a run. `--policy` instead prints the JobUpdate policy for a fleet rollout from the Admin
Console and touches nothing. This is an admin tool: the scan task itself never calls /api/Jobs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from secret_scanner.admin.agentapi import (
    DEFAULT_API_BASE,
    AgentForbiddenError,
    AgentNotFoundError,
    AgentProtocolError,
    AgentTlsError,
    AgentUnreachableError,
    ApiTarget,
    JobApi,
    JobRejectedError,
)
from secret_scanner.admin.agentroot import (
    WINDOWS,
    command_path,
    current_os,
    detect_agent_root,
    executable_name,
    is_agent_root,
    known_roots,
)
from secret_scanner.admin.jobcheck import CheckOptions, validate_job
from secret_scanner.cli.argtypes import parse_positive_float
from secret_scanner.errors import ScannerError, UsageError

log = logging.getLogger(__name__)
PROG = "secret-scanner-deploy"


class DeployExit(IntEnum):
    """Exit codes of secret-scanner-deploy (documented in docs/deploy.md)."""

    OK = 0
    JOB_INVALID = 1        # offline validation failed, or the agent answered valid:false / 400
    USAGE = 2              # bad arguments, unreadable files, no agent root, TLS policy refusal
    INSTALL_FAILED = 3     # copying the binary folder failed; the previous install is left in place
    AGENT_UNREACHABLE = 4  # connection refused or timed out: agent not running, or wrong port
    TLS_FAILED = 5         # server certificate not trusted, client certificate missing or refused
    FORBIDDEN = 6          # 403: not Admin-tier
    NOT_FOUND = 7          # 404 where the job or endpoint must exist
    VERIFY_FAILED = 8      # the job read back after saving is missing or different
    AGENT_ERROR = 9        # any other unexpected answer from the agent
    INTERNAL = 70


class InstallError(ScannerError):
    """The binary folder could not be installed under the agent root."""


@dataclass(frozen=True)
class Plan:
    """What a deploy will do, worked out before anything is touched."""

    job: dict[str, Any]
    job_id: str
    command: str
    agent_root: Path | None
    binary_dir: Path | None
    target: ApiTarget
    trigger: bool

    @property
    def install_dir(self) -> Path | None:
        if self.agent_root is None or self.binary_dir is None:
            return None
        return self.agent_root / "Jobs" / "bin" / self.command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Install SecretScanner under a local KEPM agent and register its job over the agent's "
                    "Job Management API (Admin tier, mutual TLS), or print the JobUpdate policy for a fleet.",
    )
    parser.add_argument("--job", type=Path, required=True, metavar="FILE", help="job JSON file (jobs/*.json)")
    parser.add_argument("--binary-dir", type=Path, metavar="DIR",
                        help="the built SecretScanner folder to install (omit to update the job only)")
    parser.add_argument("--agent-root", type=Path, metavar="DIR",
                        help="agent install root holding Jobs/ (default: detected from the known roots)")
    parser.add_argument("--api-base", default=DEFAULT_API_BASE, metavar="URL",
                        help=f"agent HTTPS API base (default {DEFAULT_API_BASE})")
    parser.add_argument("--cert", type=Path, metavar="FILE",
                        help="admin client certificate (PEM) for mutual TLS")
    parser.add_argument("--key", type=Path, metavar="FILE",
                        help="private key of --cert (PEM, unencrypted; omit if inside --cert)")
    parser.add_argument("--ca", type=Path, metavar="FILE",
                        help="CA bundle that verifies the agent certificate (without it, loopback only: "
                             "verification skipped)")
    parser.add_argument("--timeout", type=parse_positive_float, default=30.0, metavar="SECONDS",
                        help="per-request timeout (default 30)")
    parser.add_argument("--trigger", action="store_true", help="run the job once after deploying it")
    parser.add_argument("--set-executable-path", action="store_true",
                        help="add executablePath for the detected agent root to each task")
    parser.add_argument("--policy", nargs="?", const="Add", choices=("Add", "Update"), metavar="Add|Update",
                        help="print the JobUpdate policy (Action Add, or Update) for the Admin Console "
                             "and exit")
    parser.add_argument("--dry-run", action="store_true", help="show what would happen; change nothing")
    parser.add_argument("--verbose", action="store_true", help="log details to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the deploy tool; return its exit code. Never raises."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return DeployExit.OK if exc.code in (0, None) else DeployExit.USAGE
    _configure_logging(args.verbose)
    try:
        return _dispatch(args)
    except UsageError as exc:  # TlsPolicyError is a ConfigError, handled just below
        return _fail(DeployExit.USAGE, str(exc))
    except ScannerError as exc:
        return _fail(_exit_for(exc), str(exc))
    except Exception as exc:
        return _fail(DeployExit.INTERNAL, f"internal error: {type(exc).__name__}")


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


def _exit_for(exc: ScannerError) -> DeployExit:
    table: tuple[tuple[type[ScannerError], DeployExit], ...] = (
        (JobRejectedError, DeployExit.JOB_INVALID),
        (InstallError, DeployExit.INSTALL_FAILED),
        (AgentUnreachableError, DeployExit.AGENT_UNREACHABLE),
        (AgentTlsError, DeployExit.TLS_FAILED),
        (AgentForbiddenError, DeployExit.FORBIDDEN),
        (AgentNotFoundError, DeployExit.NOT_FOUND),
        (AgentProtocolError, DeployExit.AGENT_ERROR),
    )
    for kind, code in table:
        if isinstance(exc, kind):
            return code
    return DeployExit.USAGE  # ConfigError family, including the TLS policy refusal


def _dispatch(args: argparse.Namespace) -> int:
    job, text_errors = _load_job(args.job)
    if text_errors:
        return _fail(DeployExit.JOB_INVALID, f"{args.job}: " + "; ".join(text_errors))
    report = validate_job(job, args.job.stem, CheckOptions(check_binaries=False))
    for warning in report.warnings:
        _warn(f"{args.job}: {warning}")
    if not report.valid:
        for error in report.errors:
            print(f"{PROG}: error: {args.job}: {error}", file=sys.stderr)
        return _fail(DeployExit.JOB_INVALID, f"{args.job} is not a valid job (secret-scanner-jobs validate)")
    job_id = str(job["id"])
    if args.policy is not None:
        if args.set_executable_path:
            raise UsageError("--set-executable-path cannot be used with --policy: install roots differ "
                             "across a fleet, so the policy job relies on Jobs/bin/{command}/ resolution")
        print(json.dumps(policy_for(job, args.policy), indent=2))
        return DeployExit.OK
    plan = _make_plan(args, job, job_id)
    if args.dry_run:
        _show_plan(plan)
        return DeployExit.OK
    return _deploy(plan)


def policy_for(job: dict[str, Any], action: str) -> dict[str, Any]:
    """The JobUpdate policy body for the Admin Console (Advanced Mode JSON)."""
    return {
        "PolicyType": "JobUpdate",
        "Extension": {
            "JobId": job["id"],
            "Action": action,
            "JobJson": json.dumps(job, separators=(",", ":")),
        },
    }


def _load_job(path: Path) -> tuple[dict[str, Any], list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"--job {path}: cannot read: {exc.strerror or exc}") from exc
    try:
        job = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, [f"not valid JSON: {exc.msg} at line {exc.lineno}"]
    if not isinstance(job, dict):
        return {}, ["the job must be a JSON object"]
    return job, []


def _make_plan(args: argparse.Namespace, job: dict[str, Any], job_id: str) -> Plan:
    command = _single_command(job)
    needs_root = args.binary_dir is not None or args.set_executable_path
    root = _resolve_agent_root(args.agent_root) if needs_root else args.agent_root
    if args.binary_dir is not None:
        _check_binary_dir(args.binary_dir, command)
        os_filter = job.get("osFilter")
        if isinstance(os_filter, dict) and not os_filter.get(current_os(), False):
            _warn(f"the job's osFilter excludes this host ({current_os()}): the agent will not "
                  "run it here; is this the right job file?")
    if args.set_executable_path:
        assert root is not None
        job = _with_executable_path(job, root, command)
    target = ApiTarget(base_url=args.api_base, client_cert=args.cert, client_key=args.key, ca_bundle=args.ca,
                       timeout_seconds=args.timeout)
    for flag, path in (("--cert", args.cert), ("--key", args.key), ("--ca", args.ca)):
        if path is not None and not path.is_file():
            raise UsageError(f"{flag} {path}: no such file")
    return Plan(job=job, job_id=job_id, command=command, agent_root=root, binary_dir=args.binary_dir,
                target=target, trigger=args.trigger)


def _single_command(job: dict[str, Any]) -> str:
    commands = {str(task["command"]) for task in job["tasks"] if task.get("ExecutionType") != "Http"}
    if len(commands) != 1:
        raise UsageError(f"the job runs {len(commands)} different commands ({', '.join(sorted(commands))}); "
                         "this tool installs one binary folder per job")
    return commands.pop()


def _resolve_agent_root(given: Path | None) -> Path:
    if given is not None:
        if not is_agent_root(given):
            raise UsageError(f"--agent-root {given}: no Jobs/ directory there; is the agent installed?")
        return given
    found = detect_agent_root()
    if found is None:
        tried = ", ".join(str(root) for root in known_roots())
        raise UsageError(f"no agent root found (tried {tried}); pass --agent-root")
    return found


def _check_binary_dir(binary_dir: Path, command: str) -> None:
    executable = binary_dir / executable_name(command, current_os())
    if not binary_dir.is_dir():
        raise UsageError(f"--binary-dir {binary_dir}: not a directory")
    if not executable.is_file():
        raise UsageError(f"--binary-dir {binary_dir}: no {executable.name} inside; give the built "
                         f"{command} folder (dist/{command}/)")
    if current_os() != WINDOWS and not os.access(executable, os.X_OK):
        raise UsageError(f"--binary-dir: {executable} is not executable")


def _with_executable_path(job: dict[str, Any], root: Path, command: str) -> dict[str, Any]:
    path = str(command_path(root, command, current_os()))
    tasks = [dict(task, executablePath=path) if task.get("command") == command else task
             for task in job["tasks"]]
    return dict(job, tasks=tasks)


def _show_plan(plan: Plan) -> None:
    _say(f"dry run: nothing will be changed (job {plan.job_id})")
    if plan.install_dir is not None:
        _say(f"would copy {plan.binary_dir} -> {plan.install_dir}")
    else:
        _say("would not install a binary (no --binary-dir)")
    base = plan.target.base_url.rstrip("/")
    _say(f"would call {base}: POST /api/Jobs/validate, GET /api/Jobs/{plan.job_id}, then POST /api/Jobs "
         f"(new) or PUT /api/Jobs/{plan.job_id} (existing), then GET /api/Jobs/{plan.job_id} to verify")
    if plan.trigger:
        _say(f"would POST /api/Jobs/{plan.job_id}/trigger")
    _say("job JSON that would be sent:")
    print(json.dumps(plan.job, indent=2))


def _deploy(plan: Plan) -> int:
    api = JobApi(plan.target)  # loads the certificates: fail on bad TLS arguments before copying anything
    if plan.binary_dir is not None and plan.install_dir is not None:
        installed = install_binary(plan.binary_dir, plan.install_dir)
        _say(f"installed {plan.binary_dir} -> {installed}")
    job_json = json.dumps(plan.job, indent=2)
    verdict = api.validate(job_json)
    for warning in verdict.warnings:
        _warn(f"agent: {warning}")
    if not verdict.valid:
        for error in verdict.errors:
            print(f"{PROG}: agent error: {error}", file=sys.stderr)
        return _fail(DeployExit.JOB_INVALID,
                     f"the agent says job {plan.job_id} is invalid; nothing registered")
    _say(f"agent validated job {plan.job_id}")
    try:
        if api.get_job(plan.job_id) is None:
            api.create_job(job_json)
            _say(f"created job {plan.job_id}")
        else:
            api.update_job(plan.job_id, job_json)
            _say(f"updated job {plan.job_id}")
    except JobRejectedError as exc:
        return _report_rejected(exc)
    problem = _verify(api.get_job(plan.job_id), plan)
    if problem:
        return _fail(DeployExit.VERIFY_FAILED, problem)
    _say(f"verified job {plan.job_id} on the agent")
    if plan.trigger:
        try:
            api.trigger(plan.job_id)
        except JobRejectedError as exc:
            return _report_rejected(exc, "trigger refused; the agent refuses to trigger a disabled job")
        _say(f"triggered job {plan.job_id}")
    return DeployExit.OK


def _report_rejected(exc: JobRejectedError, hint: str = "") -> int:
    for error in exc.errors:
        print(f"{PROG}: agent error: {error}", file=sys.stderr)
    return _fail(DeployExit.JOB_INVALID, f"{exc}" + (f": {hint}" if hint else ""))


def _verify(stored: dict[str, Any] | None, plan: Plan) -> str:
    if stored is None:
        return f"job {plan.job_id} was saved but GET /api/Jobs/{plan.job_id} does not find it"
    wrapped = stored.get("job", stored.get("Job"))
    if isinstance(wrapped, dict):  # the response shape is undocumented beyond "job definition JSON"
        stored = wrapped
    if stored.get("id", stored.get("Id")) != plan.job_id:
        return f"GET /api/Jobs/{plan.job_id} returned a job with id {stored.get('id')!r}"
    tasks = stored.get("tasks", stored.get("Tasks"))
    commands = {t.get("command", t.get("Command")) for t in tasks if isinstance(t, dict)} \
        if isinstance(tasks, list) else set()
    if plan.command not in commands:
        return f"the stored job {plan.job_id} has no task running {plan.command}"
    return ""


def install_binary(source: Path, install_dir: Path) -> Path:
    """Copy `source` to `install_dir`, swapping it in whole so the job runner never sees a half-copied folder.

    The copy lands in a hidden sibling first; the old folder is moved aside, the new one renamed into place,
    and the old one deleted. If the swap fails (on Windows: the scanner is running), the old folder returns.
    """
    parent = install_dir.parent
    try:
        parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{install_dir.name}.new-", dir=parent))
    except OSError as exc:
        raise InstallError(f"cannot create {parent}: {exc.strerror or exc}") from exc
    try:
        shutil.copytree(source, staging, symlinks=True, dirs_exist_ok=True)
        _restrict_writes(staging)
    except (OSError, shutil.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InstallError(f"cannot copy {source} to {parent}: {exc}") from exc
    retired = parent / f".{install_dir.name}.old-{uuid.uuid4().hex[:8]}"
    had_old = install_dir.exists()
    try:
        if had_old:
            install_dir.rename(retired)
        staging.rename(install_dir)
    except OSError as exc:
        if had_old and retired.exists() and not install_dir.exists():
            retired.rename(install_dir)
        shutil.rmtree(staging, ignore_errors=True)
        raise InstallError(f"cannot replace {install_dir} ({exc.strerror or exc}); if SecretScanner is "
                           "running, retry when the run ends") from exc
    if had_old:
        shutil.rmtree(retired, ignore_errors=True)
    return install_dir


def _restrict_writes(root: Path) -> None:
    """Only the owner (root / the installing admin) may change what the agent will run as a service."""
    if current_os() == WINDOWS:
        return  # ACLs are inherited from Jobs\bin under Program Files, which only administrators can write
    for path in (root, *root.rglob("*")):
        if path.is_symlink():
            continue
        mode = path.stat().st_mode & 0o7777
        path.chmod(mode & ~0o022)


def _say(text: str) -> None:
    print(f"{PROG}: {text}")


def _warn(text: str) -> None:
    """Warnings go to stderr so that --policy and --dry-run output on stdout stays machine-readable."""
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def _fail(code: DeployExit, text: str) -> int:
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return code


def _configure_logging(verbose: bool) -> None:
    logger = logging.getLogger("secret_scanner.admin")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False
