"""Job mode: one run as a KEPM job task, from job identity to the last PUBACK.

Order: job identity from the environment -> Plugin Settings (default broker on failure) -> MQTT connect
(registration-race retry) -> messages spooled by earlier runs first -> start message and "started" event ->
the scan -> one message per finding (capped), summary, "completed" event -> every PUBACK -> clean disconnect.
Broker and settings failures never stop the scan: what cannot be delivered is spooled and the outcome says
`delivered=False`. Only configuration errors (job id, TLS policy) raise.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from secret_scanner.errors import DeliveryError
from secret_scanner.jobmode import messages as message
from secret_scanner.jobmode.identity import (
    JOB_ID_ENV,
    JobIdentity,
    Timing,
    event_topic_for,
    read_timing,
    resolve_job_identity,
)
from secret_scanner.jobmode.lifecycle import Lifecycle, message_ids
from secret_scanner.jobmode.mqtt import Ack, Publisher, Ticket
from secret_scanner.jobmode.plugin_settings import resolve_broker_address
from secret_scanner.jobmode.progress import JobProgress
from secret_scanner.jobmode.spool import Spool
from secret_scanner.model import ScanResult
from secret_scanner.net import tls as tlspolicy

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class JobSettings:
    api_base: str
    ca_bundle: Path | None
    state_dir: Path
    run_id: str
    event_topic: str | None
    max_finding_messages: int = 100
    # what earlier runs announced (None: every finding every run), and progress events.
    lifecycle: Lifecycle | None = None
    progress: JobProgress | None = None


@dataclass(frozen=True)
class JobOutcome:
    result: ScanResult
    delivered: bool
    problems: tuple[str, ...] = ()


def run_job(settings: JobSettings, scan: Callable[[], ScanResult], stop: threading.Event | None = None
            ) -> JobOutcome:
    """Run `scan` as a job task and deliver its messages; see the module docstring for the order. Once
    `stop` is set (SIGTERM, Ctrl-C) every PUBACK wait ends within seconds; unacknowledged messages stay
    spooled."""
    identity = resolve_job_identity(os.environ)
    timing = read_timing(os.environ)
    event_topic = event_topic_for(identity, settings.event_topic)
    api_host = urlsplit(settings.api_base).hostname or ""
    tlspolicy.check_peer(api_host, settings.ca_bundle, "--keeper-api-base")
    address = resolve_broker_address(
        settings.api_base, settings.ca_bundle, timing.retry_seconds, timing.http_timeout
    )
    context = tlspolicy.build_client_context(
        address.host, settings.ca_bundle, "broker.host from Plugin Settings"
    )
    warnings: list[str] = []
    if not identity.declared:
        warnings.append(
            f'{JOB_ID_ENV} is not set: add mqttTopics.allowedPublications ["KeeperLogger"] to the job JSON'
        )
    if address.fallback_reason is not None:
        warnings.append(f"{address.fallback_reason}; using the default broker {address.host}:{address.port}")
    publisher = Publisher(address.host, address.port, identity.client_id(os.getpid()), context)
    spool = Spool(settings.state_dir, topics=(message.LOGGER_TOPIC,))
    run = _Run(settings, identity, event_topic, timing, publisher, spool, stop)
    return run.execute(scan, warnings)


@dataclass
class _Pending:
    tickets: list[Ticket] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    # Spool names of the payloads, written before publishing (None: could not be kept).
    names: list[str | None] = field(default_factory=list)


class _Run:
    def __init__(
        self,
        settings: JobSettings,
        identity: JobIdentity,
        event_topic: str | None,
        timing: Timing,
        publisher: Publisher,
        spool: Spool,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.identity = identity
        self.event_topic = event_topic
        self.timing = timing
        self.publisher = publisher
        self.spool = spool
        self.problems: list[str] = []
        self.undelivered: list[bytes] = []
        self.event_problem: str | None = None
        self._pending_logs = _Pending()
        self.lost_ids: set[str] = set()
        self.stop = stop
        self._dropped_at_start = spool.dropped()

    def execute(self, scan: Callable[[], ScanResult], warnings: Sequence[str]) -> JobOutcome:
        run_id = self.settings.run_id
        try:
            self.publisher.connect(self.timing.retry_seconds)
        except DeliveryError as exc:
            return self._execute_offline(scan, warnings, str(exc))
        try:
            self._announce_drops()
            self._deliver_spool()
            opening = [message.start_message(run_id, self.identity.job_id)]
            opening += [message.warning_message(text, run_id) for text in warnings]
            self._publish_logs(opening)
            events = self._publish_event(message.started_event(self.identity.job_id, run_id))
            self._settle(events)
            self._attach_progress()
            try:
                result = scan()
            except BaseException as exc:
                # Say that the run died (type only: an exception message may quote scanned content).
                self._publish_logs(
                    [
                        message.error_message(
                            f"Secret scan failed: internal error {type(exc).__name__}; no results",
                            run_id,
                        )
                    ]
                )
                self._settle(_Pending())
                raise
            closing = self._closing_messages(result)
            if self.event_problem is not None:
                closing.insert(0, message.warning_message(self.event_problem, run_id))
            self._publish_logs(closing)
            events = self._publish_event(message.completed_event(self.identity.job_id, run_id, result))
            self._settle(events)
        finally:
            if self.settings.progress is not None:
                self.settings.progress.detach()
            self.publisher.close()
            self._keep_undelivered()
            self._account_drops()
        if self.settings.lifecycle is not None:
            self.settings.lifecycle.commit(self.lost_ids)
        return JobOutcome(result, delivered=not self.problems, problems=tuple(self.problems))

    def _execute_offline(
        self, scan: Callable[[], ScanResult], warnings: Sequence[str], cause: str
    ) -> JobOutcome:
        run_id = self.settings.run_id
        log.debug("%s", cause)
        kept = [message.start_message(run_id, self.identity.job_id)]
        kept += [message.warning_message(text, run_id) for text in warnings]
        kept.append(
            message.warning_message(
                f"This run could not reach the broker when it ran ({cause}); "
                "its messages were delivered late by a later run.",
                run_id,
            )
        )
        try:
            result = scan()
        except BaseException as exc:
            failure = f"Secret scan failed: internal error {type(exc).__name__}; no results"
            kept.append(message.error_message(failure, run_id))
            self.undelivered = [message.encode(m) for m in kept]
            self._keep_undelivered()
            raise
        kept += self._closing_messages(result)
        self.undelivered = [message.encode(m) for m in kept]
        written = self._keep_undelivered()
        if self.settings.lifecycle is not None:
            self.settings.lifecycle.commit(self.lost_ids)
        # The count written is the truth (a full disk keeps fewer): never claim more than the spool holds.
        self.problems.insert(
            0, f"{cause}; {written} of {len(kept)} message(s) kept in {self.spool.directory} for the next run"
        )
        self._account_drops()
        return JobOutcome(result, delivered=False, problems=tuple(self.problems))

    def _closing_messages(self, result: ScanResult) -> list[dict[str, object]]:
        run_id = self.settings.run_id
        cap = self.settings.max_finding_messages
        if self.settings.lifecycle is not None:
            return self.settings.lifecycle.closing_messages(result, run_id, cap)
        ordered = sorted(result.findings, key=lambda finding: -finding.severity.rank)
        listed = ordered[:cap]
        messages = [message.finding_message(f, run_id) for f in listed]
        if len(ordered) > cap:
            messages.append(message.overflow_message(ordered[cap:], cap, run_id))
        messages.append(message.summary_message(result, run_id, len(listed)))
        return messages

    # Delivery bookkeeping -------------------------------------------------------------------------------

    def _deliver_spool(self) -> None:
        kept = self.spool.load()
        if not kept:
            return
        log.info("delivering %d message(s) kept by earlier runs", len(kept))
        tickets = [self.publisher.publish(m.topic, m.payload) for m in kept]
        acks = self.publisher.wait(tickets, self.timing.puback_timeout, self.stop)
        delivered = [m.name for m, ack in zip(kept, acks, strict=True) if ack.ok]
        self.spool.remove(delivered)
        if delivered:
            # The topic is allowed (others went through): a record refused now is refused for itself, and
            # after a few runs it is quarantined instead of failing every run.
            self.spool.note_refused([m.name for m, ack in zip(kept, acks, strict=True) if ack.code is not None
                                     and not ack.ok])
        self._account(message.LOGGER_TOPIC, [ack for ack in acks if not ack.ok])

    def _announce_drops(self) -> None:
        dropped = self._dropped_at_start
        if dropped <= 0:
            return
        text = (f"{dropped} KeeperLogger message(s) of earlier runs were dropped before delivery (no space left "
                f"in {self.spool.state_dir}, or the spool bound of {self.spool.max_messages} messages)")
        notice = self.publisher.publish(message.LOGGER_TOPIC, message.encode(
            message.warning_message(text, self.settings.run_id)))
        if self.publisher.wait([notice], self.timing.puback_timeout, self.stop)[0].ok:
            self.spool.clear_dropped(dropped)
            self._dropped_at_start = 0

    def _account_drops(self) -> None:
        now = self.spool.dropped() - self._dropped_at_start
        if now > 0:
            self.problems.append(
                f"{now} undelivered message(s) were dropped (no space left in {self.spool.state_dir}, or the "
                "spool bound); the next run that reaches the broker reports the count")
            self._dropped_at_start += now

    def _publish_logs(self, documents: Sequence[Mapping[str, object]]) -> None:
        pending = _Pending()
        payloads = [message.encode(document) for document in documents]
        # Write-ahead: kept in the spool before it is sent, removed on its PUBACK; a kill loses nothing.
        pending.names = self.spool.add_named(message.LOGGER_TOPIC, payloads)
        for payload in payloads:
            pending.tickets.append(self.publisher.publish(message.LOGGER_TOPIC, payload))
            pending.payloads.append(payload)
        self._pending_logs.tickets += pending.tickets
        self._pending_logs.payloads += pending.payloads
        self._pending_logs.names += pending.names

    def _publish_event(self, document: Mapping[str, object]) -> _Pending:
        pending = _Pending()
        if self.event_topic is not None:
            pending.tickets.append(self.publisher.publish(self.event_topic, message.encode(document)))
        return pending

    def _settle(self, events: _Pending) -> None:
        """Wait for every outstanding PUBACK; log messages that failed are kept for the spool."""
        logs = self._pending_logs
        self._pending_logs = _Pending()
        acks = self.publisher.wait(logs.tickets + events.tickets, self.timing.puback_timeout, self.stop)
        log_acks, event_acks = acks[: len(logs.tickets)], acks[len(logs.tickets) :]
        outcomes = list(zip(logs.payloads, logs.names, log_acks, strict=True))
        self.spool.remove([name for _, name, ack in outcomes if ack.ok and name is not None])
        # Already spooled (write-ahead) unless the write failed: only those are tried again at the end.
        self.undelivered += [p for p, name, ack in outcomes if not ack.ok and name is None]
        self._account(message.LOGGER_TOPIC, [a for a in log_acks if not a.ok])
        self._warn_events([a for a in event_acks if not a.ok])

    def _account(self, topic: str, failed: Sequence[Ack]) -> None:
        if not failed:
            return
        refused = [a for a in failed if a.code is not None]
        if refused:
            self.problems.append(
                f"the broker at {self.publisher.address} refused {len(refused)} message(s) to {topic!r} "
                f"with {refused[0].reason()}: add "
                f'"{topic}" to mqttTopics.allowedPublications in the job JSON; the messages are kept in '
                f"{self.spool.directory} and delivered by the first run after the fix"
            )
        silent = len(failed) - len(refused)
        if silent:
            self.problems.append(
                f"{silent} message(s) to {topic!r} not acknowledged by the broker at "
                f"{self.publisher.address} "
                f"within {self.timing.puback_timeout:g}s; kept in {self.spool.directory} for the next run"
            )

    def _warn_events(self, failed: Sequence[Ack]) -> None:
        # Events are progress signals: a failure is worth a warning, never a failed delivery of findings.
        if not failed or self.event_topic is None:
            return
        hint = (
            f'add "{self.event_topic}" to mqttTopics.allowedPublications in the job JSON'
            if any(a.code is not None for a in failed)
            else "the broker did not acknowledge it"
        )
        text = (
            f"event topic {self.event_topic!r}: {len(failed)} event(s) {failed[0].describe()}; {hint} "
            "(findings are not affected)"
        )
        log.warning("%s", text)
        self.event_problem = text

    def _keep_undelivered(self) -> int:
        if not self.undelivered:
            return 0
        kept = self.spool.add(message.LOGGER_TOPIC, self.undelivered)
        if kept < len(self.undelivered):
            # Which ones the spool could not keep is unknown: none of them counts as announced.
            self.lost_ids.update(message_ids(self.undelivered))
        self.undelivered = []
        if kept:
            log.debug("%d undelivered message(s) kept in %s", kept, self.spool.directory)
        return kept

    # Progress events go out while the scan runs; nobody waits for their PUBACKs.
    def _attach_progress(self) -> None:
        progress, topic = self.settings.progress, self.event_topic
        if progress is None or topic is None:
            return

        def send(document: Mapping[str, object]) -> None:
            self.publisher.publish(topic, message.encode(document))

        progress.attach(self.identity.job_id, self.settings.run_id, send)
