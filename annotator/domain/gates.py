"""Quality gates for CI: ``--fail-under measure=value`` parsed, and measured values checked
against them (the first shortfall is the one-line reason to exit 1)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from annotator.domain.errors import InputError


def parse_fail_under(texts: Iterable[str], known: Iterable[str] | None = None) -> dict[str, float]:
    """``["span_f1=0.8", "kappa=0.6"]`` as ``{"span_f1": 0.8, "kappa": 0.6}``.

    Each text is ``measure=value`` with a number between 0 and 1 (a value may also be
    given once per flag, comma-separated: ``f1=0.8,precision=0.7``). With ``known``, a
    measure outside it is refused, naming the known ones. Problems are InputErrors."""
    allowed = list(known) if known is not None else None
    gates: dict[str, float] = {}
    for text in texts:
        for item in str(text).split(","):
            item = item.strip()
            if not item:
                continue
            name, equals, number = item.partition("=")
            name = name.strip()
            if not equals or not name or not number.strip():
                raise InputError(f"--fail-under {item!r}: expected MEASURE=VALUE, e.g. f1=0.8")
            try:
                value = float(number)
            except ValueError:
                raise InputError(
                    f"--fail-under {item!r}: {number.strip()!r} is not a number"
                ) from None
            if math.isnan(value) or not 0.0 <= value <= 1.0:
                raise InputError(f"--fail-under {item!r}: the value must be between 0 and 1")
            if allowed is not None and name not in allowed:
                raise InputError(
                    f"--fail-under {item!r}: unknown measure {name!r} (known: {', '.join(allowed)})"
                )
            gates[name] = value
    return gates


def check_gates(values: Mapping[str, float | None], gates: Mapping[str, float]) -> str | None:
    """The reason the first gate (in the order given) fails, or None when all pass.

    A measure that could not be computed (None, NaN or absent) fails its gate: a CI gate
    must not pass because there was nothing to measure."""
    for name, minimum in gates.items():
        value = values.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{name} could not be measured (gate: {name} >= {minimum:g})"
        if value < minimum:
            return f"{name} = {value:.4f} is under {minimum:g}"
    return None
