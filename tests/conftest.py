"""The fixture registry: every shared fixture, imported from the helper module that implements it, and the
names tests import from here.

Real parts: a TLS mosquitto broker (broker.py), an MQTT observer (observer.py), an HTTPS Plugin Settings
server (settings_server.py), throwaway TLS material (tlsmaterial.py), the command that runs the scanner as a
subprocess or the frozen binary with SECRET_SCANNER_BIN (program.py), planted scan trees (trees.py), the
fake agent the deploy tool talks to (fakeagent.py), and an environment without signing keys
(signing_env.py). Servers bind to 127.0.0.1 only.
"""

from __future__ import annotations

import pytest

# Helper modules hold plain asserts that should report like a test's own.
pytest.register_assert_rewrite("fakeagent", "jobruns", "release_scripts")

from benchcorpus import small_corpus  # noqa: E402
from broker import (  # noqa: E402
    MOSQUITTO,
    MOSQUITTO_PASSWD,
    OBSERVER_PASSWORD,
    OBSERVER_USER,
    Broker,
    BrokerFactory,
    broker,
    broker_factory,
)
from fakeagent import env, pki  # noqa: E402
from loopback import free_port, port_is_free, wait_until  # noqa: E402
from observer import Observer, observe  # noqa: E402
from program import EVENT_TOPIC, JOB_ID, scanner_command, scanner_env  # noqa: E402
from settings_server import FALLBACK_BROKER_PORT, SettingsServer, settings_server  # noqa: E402
from signing_env import no_signing_credentials  # noqa: E402
from tlsmaterial import TlsMaterial, tls_material  # noqa: E402
from trees import PlantedTree, clean_tree, plant_tree, planted  # noqa: E402

# Fixtures register by being named here; the other names serve `from conftest import ...` in tests.
__all__ = [
    "EVENT_TOPIC",
    "FALLBACK_BROKER_PORT",
    "JOB_ID",
    "MOSQUITTO",
    "MOSQUITTO_PASSWD",
    "OBSERVER_PASSWORD",
    "OBSERVER_USER",
    "Broker",
    "BrokerFactory",
    "Observer",
    "PlantedTree",
    "SettingsServer",
    "TlsMaterial",
    "broker",
    "broker_factory",
    "clean_tree",
    "env",
    "free_port",
    "no_signing_credentials",
    "observe",
    "pki",
    "plant_tree",
    "planted",
    "port_is_free",
    "scanner_command",
    "scanner_env",
    "settings_server",
    "small_corpus",
    "tls_material",
    "wait_until",
]
