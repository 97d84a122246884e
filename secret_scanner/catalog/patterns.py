"""Pattern translation shared by both engines: CRLF-aware line ends for Python `re`, a gate form for Hyperscan.

Hyperscan compiles large bounded repeats slowly, and it reads `$` differently; the gate only has to be a
superset of the Python pattern (the engine drops gate hits that `re` does not confirm).
"""

from __future__ import annotations

import re

_QUANTIFIER = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")
# Hyperscan compiles large bounded repeats slowly (seconds for {64,8000}); the gate only has to be a superset
# of the Python pattern, so it gets X{min(m,K),} for any repeat bounded above K.
_GATE_REPEAT_LIMIT = 32


def _widen(quantifier: re.Match[str]) -> str:
    low = int(quantifier.group(1))
    high = quantifier.group(3)
    bounded_high = low if quantifier.group(2) is None else (int(high) if high else None)
    if bounded_high is not None and bounded_high <= _GATE_REPEAT_LIMIT:
        return quantifier.group(0)
    return f"{{{min(low, _GATE_REPEAT_LIMIT)},}}"


def translate_line_ends(pattern: str) -> tuple[str, str]:
    """Returns (python pattern, hyperscan gate pattern) for a rule pattern.

    CRLF-aware `$`: Python's `$` stops only before `\\n`, so a Windows line end would defeat it. Python gets
    `(?=\\r?$)`; Hyperscan, which has no lookahead, gets `\\r?$` (consuming the `\\r` only widens the gate,
    which may be a superset). The gate's large bounded repeats are widened (see _widen).
    """
    python_parts: list[str] = []
    gate_parts: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            python_parts.append(pattern[i:i + 2])
            gate_parts.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            # A leading ']' (or '^]') is a literal inside the class.
            lead = pattern[i + 1:i + 3]
            step = 2 if lead.startswith("]") else 3 if lead == "^]" else 1
            python_parts.append(pattern[i:i + step])
            gate_parts.append(pattern[i:i + step])
            i += step
            continue
        elif char == "{" and (quantifier := _QUANTIFIER.match(pattern, i)) is not None:
            python_parts.append(quantifier.group(0))
            gate_parts.append(_widen(quantifier))
            i = quantifier.end()
            continue
        elif char == "$":
            python_parts.append(r"(?=\r?$)")
            gate_parts.append(r"(?:\r?$)")
            i += 1
            continue
        python_parts.append(char)
        gate_parts.append(char)
        i += 1
    return "".join(python_parts), "".join(gate_parts)
