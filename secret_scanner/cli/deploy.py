"""`secret-scanner-deploy`: install the SecretScanner binary and register its job with a local KEPM agent.

Flow: validate the job offline, copy the built binary folder into {agent root}/Jobs/bin/SecretScanner/, then
over HTTPS with mutual TLS: POST /api/Jobs/validate, create (POST) or update (PUT) the job, read it back, and
optionally trigger a run. `--policy` instead prints the JobUpdate policy for a fleet rollout from the Admin
Console and touches nothing. This is an admin tool: the scan task itself never calls /api/Jobs. This module is
the command line and the output; the work is in admin/install.py and admin/agentapi.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
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
from secret_scanner.admin.agentroot import current_os
from secret_scanner.admin.install import (
    InstallError,
    Plan,
    check_binary_dir,
    install_binary,
    load_job,
    policy_for,
    resolve_agent_root,
    single_command,
    verify_stored,
    with_executable_path,
)
from secret_scanner.admin.jobcheck import CheckOptions, validate_job
from secret_scanner.cli.argtypes import parse_positive_float
from secret_scanner.cli.exitcodes import DeployExit
from secret_scanner.cli.shell import ErrorRule, Program, run_program
from secret_scanner.errors import ScannerError, UsageError

PROG = "secret-scanner-deploy"
PROGRAM = Program(
    name=PROG,
    ok=DeployExit.OK,
    usage=DeployExit.USAGE,
    internal=DeployExit.INTERNAL,
    interrupted=DeployExit.INTERRUPTED,
    rules=(
        ErrorRule(UsageError, DeployExit.USAGE),
        ErrorRule(JobRejectedError, DeployExit.JOB_INVALID),
        ErrorRule(InstallError, DeployExit.INSTALL_FAILED),
        ErrorRule(AgentUnreachableError, DeployExit.AGENT_UNREACHABLE),
        ErrorRule(AgentTlsError, DeployExit.TLS_FAILED),
        ErrorRule(AgentForbiddenError, DeployExit.FORBIDDEN),
        ErrorRule(AgentNotFoundError, DeployExit.NOT_FOUND),
        ErrorRule(AgentProtocolError, DeployExit.AGENT_ERROR),
        ErrorRule(ScannerError, DeployExit.USAGE),  # the ConfigError family, including the TLS policy refusal
    ),
)


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
    return run_program(PROGRAM, build_parser(), _dispatch, argv)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


def _dispatch(args: argparse.Namespace) -> int:
    job, text_errors = load_job(args.job)
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


def _make_plan(args: argparse.Namespace, job: dict[str, Any], job_id: str) -> Plan:
    command = single_command(job)
    needs_root = args.binary_dir is not None or args.set_executable_path
    root = resolve_agent_root(args.agent_root) if needs_root else args.agent_root
    if args.binary_dir is not None:
        check_binary_dir(args.binary_dir, command)
        os_filter = job.get("osFilter")
        if isinstance(os_filter, dict) and not os_filter.get(current_os(), False):
            _warn(f"the job's osFilter excludes this host ({current_os()}): the agent will not "
                  "run it here; is this the right job file?")
    if args.set_executable_path:
        assert root is not None
        job = with_executable_path(job, root, command)
    target = ApiTarget(base_url=args.api_base, client_cert=args.cert, client_key=args.key, ca_bundle=args.ca,
                       timeout_seconds=args.timeout)
    for flag, path in (("--cert", args.cert), ("--key", args.key), ("--ca", args.ca)):
        if path is not None and not path.is_file():
            raise UsageError(f"{flag} {path}: no such file")
    return Plan(job=job, job_id=job_id, command=command, agent_root=root, binary_dir=args.binary_dir,
                target=target, trigger=args.trigger)


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
    try:
        return _deploy_with(api, plan)
    finally:
        api.close()


def _deploy_with(api: JobApi, plan: Plan) -> int:
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
    problem = verify_stored(api.get_job(plan.job_id), plan)
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


def _say(text: str) -> None:
    print(f"{PROG}: {text}")


def _warn(text: str) -> None:
    """Warnings go to stderr so that --policy and --dry-run output on stdout stays machine-readable."""
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def _fail(code: DeployExit, text: str) -> int:
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return code
