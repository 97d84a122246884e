"""`secret-scanner-devagent preflight JOB.json`: gather the evidence for the pre-launch checklist and print it.

Evidence: the offline job validator; one trigger of the job in a development agent (binary resolution,
environment, Plugin Settings, MQTT identity, KeeperLogger and event publishes as the view received them); a
Plugin Settings call from this process, which the agent must refuse (403) because no job runner launched it;
and, when --agent-api is given, a real agent's answers to GET /api/Jobs/{id} and POST .../trigger.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import ssl
import urllib.error
import urllib.request

from secret_scanner.admin.jobcheck import CheckOptions, validate_file
from secret_scanner.devagent.agent import AgentOptions, DevAgent
from secret_scanner.devagent.checklist import Evidence, Item, RealAgentAnswer, Status, judge
from secret_scanner.devagent.jobfile import Job, load_job
from secret_scanner.devagent.launcher import resolve_binary
from secret_scanner.devagent.pluginserver import SETTINGS_PATH
from secret_scanner.devagent.view import LOGGER_TOPIC, View, clean

SETTLE_SECONDS = 0.5


def run_preflight(args: argparse.Namespace, options: AgentOptions) -> int:
    """Print every item; exit 0 only when every checked item passes."""
    job = load_job(args.job)
    report = validate_file(args.job, CheckOptions(host_os=options.host_os, agent_root=options.agent_root,
                                                  check_binaries=options.agent_root is not None))
    evidence = gather(job, report, options, args)
    items = judge(evidence)
    if args.json:
        print(json.dumps({"file": str(args.job), "jobId": job.id, "items": [i.to_dict() for i in items]},
                         indent=2))
    else:
        print(f"preflight {args.job} (job {job.id}) on {options.host_os}")
        for item in items:
            print(render(item))
        failed_runs = [r for r in evidence.records if r.ran and r.exit_code not in (0, None)]
        if failed_runs and evidence.stderr:
            print(f"task stderr (exit code {failed_runs[0].exit_code}):")
            for line in evidence.stderr[-5:]:
                print(f"   {clean(line)}")
    return 1 if any(item.status is Status.FAIL for item in items) else 0


def render(item: Item) -> str:
    line = f"{item.number:>2} {item.status.value:<11} {item.title}: {item.detail}"
    return line + (f"\n{'':15}fix: {item.fix}" if item.fix and item.status is Status.FAIL else "")


def gather(job: Job, report: object, options: AgentOptions, args: argparse.Namespace) -> Evidence:
    from secret_scanner.admin.jobcheck import JobReport
    from secret_scanner.devagent.launcher import LaunchSettings

    assert isinstance(report, JobReport)
    task = job.tasks[0] if job.tasks else None
    binary, tried = (None, ["(no task)"])
    if task is not None:
        binary, tried = resolve_binary(task, LaunchSettings("", options.host_os, options.agent_root),
                                       os.environ.get("PATH"))
    evidence = Evidence(job, options.host_os, report, binary, tried)
    # The view's lines would bury the checklist: keep them for --json-log only.
    view = View(out=io.StringIO(), json_path=args.json_log, quiet_output=False)
    view.open()
    with DevAgent([job], options, view) as agent:
        assert agent.runner is not None and agent.plugin is not None and agent.gate is not None
        evidence.records = agent.runner.run(job, "preflight trigger")
        view.wait_for(lambda: False, SETTLE_SECONDS)
        evidence.requests = list(agent.plugin.requests)
        evidence.admissions = list(agent.gate.admissions)
        evidence.logger = view.on_topic(LOGGER_TOPIC)
        evidence.events = view.on_topic(job.event_topic)
        evidence.by_hand_status = _call_by_hand(agent.plugin.base_url)
        evidence.stderr = [line for pid, stream, line in view.output if stream == "stderr" and pid in evidence.pids]
    if args.agent_api:
        evidence.real = _ask_real_agent(job, args)
    return evidence


def _call_by_hand(base_url: str) -> int | None:
    """This process was not launched by the runner: the agent must answer 403."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our own freshly minted loopback certificate
    try:
        with urllib.request.urlopen(base_url + SETTINGS_PATH, context=context, timeout=5) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return None


def _ask_real_agent(job: Job, args: argparse.Namespace) -> RealAgentAnswer:
    from secret_scanner.admin.agentapi import ApiTarget, JobApi
    from secret_scanner.errors import ScannerError

    target = ApiTarget(base_url=args.agent_api, client_cert=args.cert, client_key=args.key, ca_bundle=args.ca)
    try:
        api = JobApi(target)
        stored = api.get_job(job.id)
    except ScannerError as exc:
        failed = (False, str(exc))
        return RealAgentAnswer(listed=failed, triggered=failed)
    if stored is None:
        missing = (False, f"the agent at {args.agent_api} has no job {job.id!r}")
        return RealAgentAnswer(listed=missing, triggered=(False, "not triggered: the job is not listed"))
    listed = (True, f"listed by {args.agent_api}")
    try:
        api.trigger(job.id)
    except ScannerError as exc:
        return RealAgentAnswer(listed=listed, triggered=(False, str(exc)))
    return RealAgentAnswer(listed=listed, triggered=(True, "the agent accepted the trigger (200); watch its "
                                                           "KeeperLogger for the run's messages"))
