"""The exit codes of the four programs: the only status a job runner, a CI step or a shell script records.

Each program has its own IntEnum because the codes mean different things per program, but the edges are
shared: 2 is a usage error, 70 an internal error (a bug), 130 an interrupt (Ctrl-C, 128 + SIGINT).
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitCode(IntEnum):
    """`SecretScanner` (README "Exit codes", docs/messages.md)."""

    CLEAN = 0
    SECRETS_FOUND = 1
    USAGE = 2
    INCOMPLETE = 3
    DELIVERY_FAILED = 4
    LOCKED = 5
    INTERNAL = 70
    INTERRUPTED = 130


@unique
class DeployExit(IntEnum):
    """`secret-scanner-deploy` (docs/deploy.md "Exit codes of secret-scanner-deploy")."""

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
    INTERRUPTED = 130


@unique
class JobsExit(IntEnum):
    """`secret-scanner-jobs` (docs/deploy.md, "secret-scanner-jobs validate")."""

    VALID = 0
    INVALID = 1
    USAGE = 2
    INTERNAL = 70
    INTERRUPTED = 130


@unique
class DevAgentExit(IntEnum):
    """`secret-scanner-devagent` (docs/devagent.md); `run` otherwise passes on the task's own exit code."""

    OK = 0
    CHECK_FAILED = 1  # preflight: a checked item failed; demo: no finding reached the view
    USAGE = 64
    BAD_JOB = 65  # a job file is unreadable, not JSON, or not an object
    NOT_RUN = 66  # nothing ran: disabled, osFilter, binary missing, no trigger
    ENVIRONMENT = 69  # mosquitto missing, port in use, a service could not start
    INTERNAL = 70
    TIMED_OUT = 124  # a task was killed past its timeoutSeconds (as timeout(1) reports it)
    INTERRUPTED = 130
