"""Fuzzing (issue #11, item 2): every validator, decoder and filter, the JWT, PEM and base64 paths, and the
whole engine take arbitrary input without raising, so no crafted file can fault the scan. Bounded for CI:
a few hundred examples each, the whole module in well under 30 s."""

from __future__ import annotations

import base64
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secret_scanner.catalog import validators as validator
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine import decoding, filters
from secret_scanner.engine.blocks import split_blocks
from secret_scanner.engine.detector import Engine
from secret_scanner.engine.identity import Fingerprinter

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENGINE_FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=40,
)
_PREDICATES = [getattr(filters, name) for name in dir(filters)
               if name.startswith(("is_", "has_", "detect_", "measure_")) and callable(getattr(filters, name))]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rules(), Fingerprinter(b"k" * 32, "fuzz"), "python")


@pytest.mark.parametrize("name", sorted(validator.VALIDATORS))
@FUZZ
@given(secret=st.text(max_size=300))
def test_every_validator_takes_any_text(name: str, secret: str) -> None:
    assert validator.validate(name, secret) in (True, False)


@FUZZ
@given(header=st.one_of(st.binary(max_size=400), _json_values.map(lambda v: json.dumps(v).encode()),
                        st.integers(1, 3000).map(lambda n: b'{"a":' + b"[" * n),
                        st.integers(1, 3000).map(lambda n: b'{"alg":' + b'{"a":' * n)),
       payload=st.binary(max_size=60))
def test_jwt_validator_takes_any_header(header: bytes, payload: bytes) -> None:
    token = f"{_b64url(header)}.{_b64url(payload) or 'e30'}.{'s' * 20}"
    assert validator.validate("jwt", token) in (True, False)


@FUZZ
@given(label=st.sampled_from(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"]),
       body=st.one_of(st.binary(max_size=600).map(lambda b: base64.b64encode(b).decode()), st.text(max_size=600)),
       escaped=st.booleans())
def test_pem_validator_takes_any_armoured_body(label: str, body: str, escaped: bool) -> None:
    pem = f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"
    if escaped:
        pem = pem.replace("\n", "\\n")
    assert validator.validate("pem_private_key", pem) in (True, False)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_base64_userpass_validator_takes_any_decoded_bytes(raw: bytes) -> None:
    assert validator.validate("base64_userpass", base64.b64encode(raw).decode()) in (True, False)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_decoders_take_any_bytes(data: bytes) -> None:
    encoding = decoding.sniff(data)
    transcoder = decoding.make_transcoder(encoding)
    if transcoder is not None:
        transcoder.decode(data, final=True)
    assert decoding.count_chars(data) <= len(data)
    decoding.to_text(data)
    for utf16 in (b"\xff\xfe" + data, b"\xfe\xff" + data):
        blocks = list(split_blocks(utf16, io.BytesIO(b""), decoding.sniff(utf16), None))
        assert blocks


@pytest.mark.parametrize("predicate", _PREDICATES, ids=lambda p: p.__name__)
@FUZZ
@given(secret=st.text(max_size=200))
def test_every_filter_takes_any_text(predicate: object, secret: str) -> None:
    predicate(secret)  # type: ignore[operator]


@ENGINE_FUZZ
@given(data=st.one_of(
    st.binary(max_size=3000),
    st.lists(st.sampled_from(["eyJ", "ghp_", "AKIA", "-----BEGIN PRIVATE KEY-----", "password=", "\\n", "=",
                              ".", "\n", "\x00", "\ufeff", "PuTTY-User-Key-File-3: ", "Private-Lines: 1\n",
                              "xoxb-", "AIza", "a" * 40, "0" * 36]), max_size=40).map(lambda p: "".join(p).encode()),
))
def test_the_engine_takes_any_file_without_a_fault(engine: Engine, data: bytes) -> None:
    findings = engine.scan_bytes(data, "/fuzz/input.env")  # FaultedWith (a caught fault) fails this test too
    assert all(finding.rule_id for finding in findings)
