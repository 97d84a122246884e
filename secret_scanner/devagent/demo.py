"""The demo endpoint tree: a few credential files a real machine might hold, with secrets made at run time.

The template below holds `<gen:...>` specimen markers, never a live-format value; `plant_demo_tree` expands
them into fresh, structurally valid fakes (checksums included), so the scanner finds them, in a directory of
the caller's choosing. One placeholder and one clean file show what is not reported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secret_scanner.catalog import specimen
from secret_scanner.devagent.faults import DevAgentError

if TYPE_CHECKING:
    from secret_scanner.devagent.agent import AgentOptions, DevAgent
    from secret_scanner.devagent.jobfile import Job
    from secret_scanner.devagent.launcher import RunRecord
    from secret_scanner.devagent.view import View

DEMO_FILES: dict[str, str] = {
    "home/alex/.aws/credentials": (
        "[default]\naws_access_key_id = <gen:aws-key-id:AKIA>\naws_secret_access_key = <gen:aws-secret>\n"
    ),
    "home/alex/project/.env": "APP_ENV=staging\nGITHUB_TOKEN=<gen:github:ghp_>\n",
    "home/alex/.git-credentials": "https://alex:<gen:github:ghp_>@github.com\n",
    "home/alex/.npmrc": "//registry.npmjs.org/:_authToken=<gen:npm>\n",
    "etc/orders/db.conf": 'host = db.internal\nuser = orders\npassword = "<gen:password:20>"\n',
    "etc/orders/app.yaml": "database:\n  password: ${DB_PASSWORD}\n",
    "home/alex/notes.txt": "Remember to rotate the staging keys on Friday.\n",
}


def plant_demo_tree(root: Path) -> list[Path]:
    """Write the demo files under `root` (owner-only, as credential files usually are); returns them."""
    written = []
    for relative, template in DEMO_FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(specimen.expand(template))
        written.append(path)
    return written


def find_installed_binary() -> Path | None:
    """The SecretScanner console script installed beside this Python (a venv's bin/), else on PATH."""
    name = "SecretScanner.exe" if os.name == "nt" else "SecretScanner"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which("SecretScanner")
    return Path(found) if found else None


def deploy_binary(agent_root: Path, binary: Path) -> Path:
    """Install `binary` as the agent's layout wants it: {root}/Jobs/bin/SecretScanner/SecretScanner."""
    target_dir = agent_root / "Jobs" / "bin" / "SecretScanner"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / binary.name
    if target.exists() or target.is_symlink():
        target.unlink()
    target.symlink_to(binary.resolve())
    return target


class DemoResult(Enum):
    OK = "ok"
    NO_FINDING = "no finding reached the view"
    NOTHING_RAN = "nothing ran"
    INTERRUPTED = "interrupted"


def run_demo(args: argparse.Namespace, options: AgentOptions) -> DemoResult:
    """Deploy the product into a temporary agent root, run the job's Startup run on the demo tree, then on
    this machine's default roots (unless --demo-only), all under one development agent and one view."""
    from secret_scanner.devagent.agent import DevAgent
    from secret_scanner.devagent.jobfile import load_job
    from secret_scanner.devagent.view import LOGGER_TOPIC, View

    job = load_job(args.job)
    binary = args.binary or find_installed_binary()
    if binary is None or not binary.is_file():
        raise DevAgentError("SecretScanner is not installed beside this Python or on PATH: "
                            "pip install -e . first, or pass --binary PATH")
    workdir = Path(tempfile.mkdtemp(prefix="secret-scanner-demo-"))
    try:
        root = options.agent_root or workdir / "agent"
        deploy_binary(root, binary)
        tree = workdir / "endpoint"
        plant_demo_tree(tree)
        view = View(json_path=args.json_log)
        view.open()
        with DevAgent([job], replace(options, agent_root=root), view) as agent:
            assert agent.runner is not None
            base = agent.runner.settings
            view.notice(f"demo 1/2: {job.id} Startup run on the demo tree {tree} (secrets planted just now)")
            narrowed = ("--path", str(tree), "--state-dir", str(workdir / "state"), *base.extra_arguments)
            agent.runner.settings = replace(base, extra_arguments=narrowed)
            first, interrupted = _run_stoppably(agent, view, job, "Startup (demo tree)")
            findings = view.wait_for(lambda: any(_is_finding(r.document) for r in view.on_topic(LOGGER_TOPIC)), 3)
            if not args.demo_only and not interrupted:
                view.notice(f"demo 2/2: {job.id} Startup run as shipped, on this machine's default roots "
                            "(Ctrl-C stops it; what was found is still reported)")
                agent.runner.settings = base
                _, interrupted = _run_stoppably(agent, view, job, "Startup (default roots)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if interrupted:
        return DemoResult.INTERRUPTED
    if not first or not first[0].ran:
        return DemoResult.NOTHING_RAN
    if not findings:
        print(f"{args.job}: no finding reached KeeperLogger from the demo tree run", file=sys.stderr)
        return DemoResult.NO_FINDING
    return DemoResult.OK


def _run_stoppably(agent: DevAgent, view: View, job: Job, trigger: str) -> tuple[list[RunRecord], bool]:
    """One run; Ctrl-C stops the task as the agent's timeout does and waits for its report to arrive."""
    assert agent.runner is not None
    try:
        records = agent.runner.run(job, trigger)
    except KeyboardInterrupt:
        # The task runs in its own session, so Ctrl-C reached only us: SIGTERM it, as the agent would.
        view.notice("Ctrl-C: stopping the task with SIGTERM; what it found is still reported")
        agent.runner.stop_all()
        view.wait_for(lambda: False, 1.0)
        return [], True
    view.wait_for(lambda: False, 0.5)
    return records, False


def _is_finding(document: dict[str, Any] | None) -> bool:
    meta = document.get("MetaData") if document else None
    return isinstance(meta, dict) and meta.get("Category") == "SecretFinding"
