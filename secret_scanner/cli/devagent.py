"""`secret-scanner-devagent`: run job JSON files as the agent would (`run`), check the pre-launch checklist
(`preflight`), or watch the product find planted secrets, then scan this machine (`demo`).

`main` never raises: the one cli shell turns every failure into one stderr line and a DevAgentExit code.
`run --once` exits with the task's own exit code.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from secret_scanner.cli.exitcodes import DevAgentExit as ExitCode
from secret_scanner.cli.shell import ErrorRule, Program, run_program
from secret_scanner.devagent.faults import DevAgentError, EnvironmentFault, JobFileError

PROG = "secret-scanner-devagent"
PROGRAM = Program(
    name=PROG,
    ok=ExitCode.OK,
    usage=ExitCode.USAGE,
    internal=ExitCode.INTERNAL,
    interrupted=ExitCode.INTERRUPTED,
    rules=(
        ErrorRule(JobFileError, ExitCode.BAD_JOB),
        ErrorRule(EnvironmentFault, ExitCode.ENVIRONMENT),
        ErrorRule(DevAgentError, ExitCode.USAGE),
    ),
    # The view prints what an operator reads; the package's own log lines show from INFO up.
    quiet_level=20,
)




def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="A development KEPM agent on this machine.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--agent-root", type=Path, metavar="DIR",
                         help="resolve `command` in DIR/Jobs/bin/{command}/ before PATH")
        sub.add_argument("--extra-arguments", default="", metavar="ARGS",
                         help="appended to each task's arguments (e.g. \"--path DIR\" to narrow a scan)")
        sub.add_argument("--mosquitto", metavar="PATH", help="the mosquitto binary (default: PATH, /usr/sbin)")
        sub.add_argument("--api-port", type=int, default=0, metavar="PORT", help="HTTPS port (default: free)")
        sub.add_argument("--broker-port", type=int, default=0, metavar="PORT", help="MQTT port (default: free)")
        sub.add_argument("--json-log", type=Path, metavar="FILE", help="also write the view as JSON lines")

    run = commands.add_parser("run", help="run job files: Startup, then the schedule")
    run.add_argument("jobs", nargs="+", type=Path, metavar="JOB.json")
    run.add_argument("--once", action="store_true", help="the Startup run only; exit with the task's code")
    run.add_argument("--time-scale", type=float, default=1.0, metavar="N",
                     help="divide schedule intervals by N (720: every 120 min becomes every 10 s)")
    run.add_argument("--interval-runs", type=int, metavar="N", help="stop after N interval runs per job")
    run.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this long")
    common(run)

    preflight = commands.add_parser("preflight", help="the custom job guide's 13-item pre-launch checklist")
    preflight.add_argument("job", type=Path, metavar="JOB.json")
    preflight.add_argument("--agent-api", metavar="URL", help="a real agent's HTTPS API for items 6 and 7")
    preflight.add_argument("--cert", type=Path, metavar="FILE", help="admin client certificate (mutual TLS)")
    preflight.add_argument("--key", type=Path, metavar="FILE", help="its private key")
    preflight.add_argument("--ca", type=Path, metavar="FILE", help="CA bundle for the real agent's certificate")
    preflight.add_argument("--json", action="store_true", help="print the items as JSON")
    common(preflight)

    demo = commands.add_parser("demo", help="planted demo tree, then this machine's default roots")
    demo.add_argument("job", type=Path, nargs="?", default=Path("jobs/secrets-scanner-linux.json"),
                      metavar="JOB.json")
    demo.add_argument("--binary", type=Path, metavar="PATH",
                      help="the SecretScanner to deploy (default: the one installed beside this Python)")
    demo.add_argument("--demo-only", action="store_true", help="skip the scan of the default roots")
    common(demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the development agent; return its exit code. Never raises."""
    return run_program(PROGRAM, build_parser(), _dispatch, argv)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


def _dispatch(args: argparse.Namespace) -> int:
    from secret_scanner.devagent.agent import AgentOptions

    for port in (args.api_port, args.broker_port):
        if not 0 <= port < 65536:
            raise DevAgentError(f"port {port} is not between 1 and 65535")
    if args.agent_root is not None and not args.agent_root.is_dir():
        raise DevAgentError(f"--agent-root {args.agent_root} is not a directory")
    try:
        extra = tuple(shlex.split(args.extra_arguments))
    except ValueError as exc:
        raise DevAgentError(f"--extra-arguments: {exc}") from exc
    options = AgentOptions(mosquitto=args.mosquitto, api_port=args.api_port, broker_port=args.broker_port,
                           agent_root=args.agent_root, extra_arguments=extra)
    if args.command == "run":
        return _run(args, options)
    if args.command == "preflight":
        from secret_scanner.devagent.preflight import run_preflight

        return run_preflight(args, options)
    from secret_scanner.devagent.demo import DemoResult, run_demo

    return {DemoResult.OK: ExitCode.OK, DemoResult.NO_FINDING: ExitCode.CHECK_FAILED,
            DemoResult.NOTHING_RAN: ExitCode.NOT_RUN, DemoResult.INTERRUPTED: ExitCode.INTERRUPTED,
            }[run_demo(args, options)]


def _run(args: argparse.Namespace, options: object) -> int:
    from secret_scanner.devagent.agent import AgentOptions, DevAgent
    from secret_scanner.devagent.jobfile import load_job
    from secret_scanner.devagent.schedule import Plan, Scheduler
    from secret_scanner.devagent.view import View

    assert isinstance(options, AgentOptions)
    if not args.time_scale > 0:
        raise DevAgentError(f"--time-scale must be above 0 (got {args.time_scale})")
    if args.interval_runs is not None and args.interval_runs < 0:
        raise DevAgentError("--interval-runs must be 0 or more")
    jobs = [load_job(path) for path in args.jobs]
    plan = Plan(args.time_scale, args.once, args.interval_runs, args.duration)
    view = View(json_path=args.json_log)
    view.open()
    with DevAgent(jobs, options, view) as agent:
        assert agent.runner is not None
        scheduler = Scheduler(agent.runner, jobs, plan, view.notice)
        try:
            records = scheduler.run()
        except KeyboardInterrupt:
            # Tasks run in their own sessions: stop them as the agent's timeout does, let their reports arrive.
            scheduler.stop.set()
            view.notice("Ctrl-C: stopping every task with SIGTERM; what they found is still reported")
            agent.runner.stop_all()
            view.wait_for(lambda: False, 1.0)
            raise
        view.wait_for(lambda: False, 0.3)  # let the last PUBACKed messages reach the view
        for record in records:
            code = "-" if record.exit_code is None else str(record.exit_code)
            view.notice(f"run summary: {record.job_id}/{record.task_id} {record.trigger}: "
                        f"{record.outcome.value}, exit code {code}, {record.duration:.1f} s")
    return int(exit_code_for(records))


def exit_code_for(records: Sequence[object]) -> int:
    """The first task failure decides; nothing run at all is NOT_RUN."""
    from secret_scanner.devagent.launcher import Outcome, RunRecord

    ran = [r for r in records if isinstance(r, RunRecord) and r.ran]
    if not ran:
        return ExitCode.NOT_RUN
    for record in ran:
        if record.outcome is Outcome.TIMED_OUT:
            return ExitCode.TIMED_OUT
        if record.exit_code:
            # A task killed by a signal has a negative code: report it as a shell would, 128 + signal.
            return record.exit_code if record.exit_code > 0 else 128 - record.exit_code
    return ExitCode.OK


if __name__ == "__main__":
    run()
