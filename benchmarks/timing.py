"""Wall-clock timing: rounds of timed operations, their medians, and the same-window pairing.

Only the operation is inside the timer, never building its request.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from benchmarks.bench import Bench

Arg = TypeVar("Arg")
"""What ``prepare`` builds and ``op`` takes (a login, a client's address and name...)."""


def summary(latencies_ns: list[int]) -> dict[str, float]:
    ordered = sorted(latencies_ns)
    total = sum(ordered)
    return {
        "ops": len(ordered),
        "ops_s": len(ordered) / (total / 1e9) if total else 0.0,
        "mean_us": total / len(ordered) / 1000,
        "p50_us": ordered[len(ordered) // 2] / 1000,
        "p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000,
    }


def timed_round(
    ops: int, prepare: Callable[[int], Arg], op: Callable[[Arg], object]
) -> dict[str, float]:
    """One round of ``ops`` timed calls ``op(prepare(i))``; only ``op`` is inside the timer."""
    clock = time.perf_counter_ns
    gc.collect()
    latencies = []
    for i in range(ops):
        arg = prepare(i)
        start = clock()
        op(arg)
        latencies.append(clock() - start)
    return summary(latencies)


def over_rounds(results: list[dict[str, float]], ops: int) -> dict[str, Any]:
    """Medians over rounds of each round's figures, with the rounds kept."""
    figure: dict[str, Any] = {
        key: statistics.median([r[key] for r in results])
        for key in ("ops_s", "mean_us", "p50_us", "p99_us")
    }
    figure["ops_per_round"] = ops
    figure["rounds"] = results
    return figure


def timed_rounds(
    rounds: int, ops: int, prepare: Callable[[int], Arg], op: Callable[[Arg], object]
) -> dict[str, Any]:
    """``rounds`` rounds of :func:`timed_round`; medians over rounds."""
    return over_rounds([timed_round(ops, prepare, op) for _ in range(rounds)], ops)


def busy(microseconds: int) -> None:
    """Keep the client's CPU busy, as a login's Python would be, between round trips."""
    end = time.perf_counter_ns() + microseconds * 1000
    while time.perf_counter_ns() < end:
        pass


def paired_rounds(
    bench: Bench,
    ops: int,
    prepare: Callable[[int], Arg],
    op: Callable[[Arg], object],
    floor: str | None = None,
    rounds: int | None = None,
) -> dict[str, Any]:
    """Rounds of the subject, each beside its same-window references.

    The machine's speed drifts by more than the differences measured here
    (one process ran 2x slower than another minutes apart), so a baseline
    taken in another process at another time makes a poor reference. For a
    django-axes subject each round has, in this process, a round of the same
    operation with ``AxesDummyHandler`` right after it (before it every other
    round); the overhead is the median
    of the per-round differences. For our handler a round of the bare
    ``floor`` command (if given) at login pace follows too (:func:`paced_floor`).
    """
    rounds = rounds or bench.params["rounds"]
    pair = bench.driver.has_dummy_reference and bench.subject.name != "baseline"
    paced = bench.subject.name.startswith("ours")
    mine: list[dict[str, float]] = []
    base: list[dict[str, float]] = []
    floors: list[dict[str, float]] = []

    def reference() -> None:
        with bench.dummy_handler():
            base.append(timed_round(ops, prepare, op))

    for number in range(rounds):
        # Every other pair runs the reference first, so drift within a pair
        # does not bias every difference the same way.
        if pair and number % 2:
            reference()
        mine.append(timed_round(ops, prepare, op))
        if pair and not number % 2:
            reference()
        if paced and floor:
            floors.append(paced_floor(bench, ops, prepare, op, floor))
    figure = over_rounds(mine, ops)
    if base:
        figure["same_window"] = {
            "baseline_p50_us": statistics.median([r["p50_us"] for r in base]),
            "overhead_p50_us": statistics.median(
                [m["p50_us"] - b["p50_us"] for m, b in zip(mine, base, strict=True)]
            ),
            "baseline_rounds": base,
        }
    if floors:
        figure["paced_floor"] = {
            "command": floor,
            **over_rounds(floors, ops),
        }
    return figure


def paced_floor(
    bench: Bench, ops: int, prepare: Callable[[int], Arg], op: Callable[[Arg], object], command: str
) -> dict[str, float]:
    """The bare ``command`` (the floor's EVALSHA or GET) timed at the pace of a login.

    On a VM a round trip can cost more the longer the client worked since the
    last one (the floor's ``evalsha_after_work`` figure shows how much here),
    because the idle Redis side has to be woken up. A
    handler's one round trip comes after a whole login's worth of work, so its
    floor is taken the same way: each bare call follows one untimed operation
    with ``AxesDummyHandler``; only the bare call is timed.
    """
    from benchmarks.figures.floor import bare_calls

    # A new key per call, as the back-to-back floor writes (never an existing one).
    call = bare_calls(bench.redis, bench.floor_keys, ttl_ms=60_000)[command]
    clock = time.perf_counter_ns
    gc.collect()
    latencies = []
    with bench.dummy_handler():
        for i in range(ops):
            op(prepare(i))
            start = clock()
            call()
            latencies.append(clock() - start)
    return summary(latencies)
