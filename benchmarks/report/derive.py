"""Figures derived from a run: overheads over the baseline, verdicts on the targets, drift."""

from __future__ import annotations

from typing import Any

from benchmarks.report import attack, lean
from benchmarks.report.targets import PAIRS, Verdicts, ok, p50, ratio, us

COUNTED = ("failed_login", "success_login", "check_clean", "check_locked")
"""The operations whose Redis commands our handler is held to."""


def overheads_of(by: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    baseline = by.get("baseline")
    overheads: dict[str, dict[str, float]] = {}
    for name, subject in by.items():
        if name in ("floor",) or not ok(subject):
            continue
        row = {}
        for figure in ("failed_login", "check_clean", "check_locked", "e2e_login"):
            same_window = subject.get(figure, {}).get("same_window")
            if same_window:
                row[figure] = float(same_window["overhead_p50_us"])
            elif ok(baseline):
                assert baseline is not None
                mine, base = p50(subject, figure), p50(baseline, figure)
                if mine is not None and base is not None:
                    row[figure] = mine - base
        overheads[name] = row
    return overheads


def derive(document: dict[str, Any]) -> dict[str, Any]:
    by = {s["subject"]: s for s in document["subjects"]}
    baseline = by.get("baseline")
    floor = by.get("floor", {}).get("floor") if ok(by.get("floor")) else None
    overheads = overheads_of(by)
    verdicts = Verdicts()
    target = verdicts.add

    for ours, cache in PAIRS:
        if ours not in overheads:
            continue
        mine = overheads[ours]
        fl = mine.get("failed_login")
        if "failed_login" in by[ours]:
            other = overheads.get(cache, {}).get("failed_login")
            target(
                "failed_login_vs_cache", ours, ratio(fl, other), f"{us(fl)} vs {cache} {us(other)}"
            )
            pg = overheads.get("db_postgres", {}).get("failed_login")
            reason = "" if pg is not None else f" ({by.get('db_postgres', {}).get('reason', '')})"
            target(
                "failed_login_vs_postgres",
                ours,
                ratio(fl, pg),
                f"{us(fl)} vs db_postgres {us(pg)}{reason}",
            )
        for figure, command, key in (
            ("failed_login", "evalsha", "failed_login_vs_evalsha"),
            ("check_clean", "get", "check_clean_vs_get"),
            ("check_locked", "get", "check_locked_vs_get"),
        ):
            if floor and figure in by[ours]:
                bare = floor[command]["p50_us"]
                target(
                    key,
                    ours,
                    ratio(mine.get(figure), bare),
                    f"{us(mine.get(figure))} vs {command.upper()} {us(bare)}",
                    pace="(back to back)",
                )
            paced = by[ours].get(figure, {}).get("paced_floor")
            if paced:
                target(
                    key,
                    ours,
                    ratio(mine.get(figure), paced["p50_us"]),
                    f"{us(mine.get(figure))} vs {command.upper()} {us(paced['p50_us'])}",
                    pace="at login pace",
                )
        trips = by[ours].get("round_trips", {})
        # A failed login is the check that takes the guess's slot and the record that
        # settles it; a check without credentials only reads.
        for figure in ("failed_login", "success_login", "check_clean", "check_locked") * bool(
            trips
        ):
            sent = trips.get(figure, {}).get("redis_commands")
            names = trips.get(figure, {}).get("redis_commands_by_name", {})
            target(f"commands_{figure}", ours, sent, f"{sent} sent: {names}")
        memory = by[ours].get("memory")
        if memory:
            for key, found in (
                ("memory", memory),
                ("memory_without_metadata", memory.get("without_metadata")),
            ):
                if not found:
                    continue
                delta = found["used_memory_delta_per_client"]
                target(
                    key,
                    ours,
                    delta,
                    f"used_memory delta {delta:.0f} B/client, MEMORY USAGE "
                    f"{found['memory_usage_bytes_per_client']:.0f} B/client",
                )
        scale = by[ours].get("scale")
        if scale and ok(baseline):
            assert baseline is not None
            scale_targets(verdicts, ours, scale, baseline)
    lean_figures = lean.derive(by, verdicts)
    attack.derive(document, verdicts)
    return {
        "overhead_us": overheads,
        "targets": verdicts.found,
        "drift": drift(by),
        **lean_figures,
    }


def scale_targets(
    verdicts: Verdicts, ours: str, scale: dict[str, Any], baseline: dict[str, Any]
) -> None:
    levels = sorted(scale, key=int)
    low, high = scale[levels[0]], scale[levels[-1]]
    bounds = {"low": int(levels[0]), "high": int(levels[-1])}
    for figure in ("failed_login", "check_clean"):
        lo = scale_overhead(low[figure], p50(baseline, figure))
        hi = scale_overhead(high[figure], p50(baseline, figure))
        verdicts.add(
            "scale_flat",
            ours,
            ratio(hi, lo),
            f"{us(lo)} -> {us(hi)} (p50 total {low[figure]['p50_us']:.0f} -> "
            f"{high[figure]['p50_us']:.0f} us)",
            figure=figure,
            **bounds,
        )
        lo_floor = low[figure].get("paced_floor", {}).get("p50_us")
        hi_floor = high[figure].get("paced_floor", {}).get("p50_us")
        if lo_floor and hi_floor:
            verdicts.add(
                "scale_flat_in_round_trips",
                ours,
                ratio(hi / hi_floor, lo / lo_floor),
                f"{lo / lo_floor:.2f} -> {hi / hi_floor:.2f} x the bare round trip "
                f"({lo_floor:.0f} -> {hi_floor:.0f} us)",
                figure=figure,
                **bounds,
            )


DRIFT_TOLERANCE = 1.25
"""How much slower or faster a subject's same-window baseline may be than the baseline's."""


def drift(by: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Subjects that ran while the machine was much slower or faster than for the baseline.

    Every same-window reference runs the very same AxesDummyHandler operation as
    the baseline subject, so their ratio is the machine's speed at the time: a
    shared VM can halve its speed for minutes. Such a subject's own figures (and
    ratios of them to other subjects') are then not comparable; the ratios within
    its own process (to its paced floor, its scale levels) still are.
    """
    baseline = by.get("baseline")
    if not ok(baseline):
        return []
    assert baseline is not None
    reference = p50(baseline, "failed_login")
    found = []
    for name, subject in by.items():
        same_window = subject.get("failed_login", {}).get("same_window") if ok(subject) else None
        if not same_window or not reference:
            continue
        speed = float(same_window["baseline_p50_us"]) / reference
        if not 1 / DRIFT_TOLERANCE <= speed <= DRIFT_TOLERANCE:
            found.append(
                {
                    "subject": name,
                    "slowdown": speed,
                    "same_window_baseline_p50_us": same_window["baseline_p50_us"],
                    "baseline_p50_us": reference,
                }
            )
    return found


def scale_overhead(figure: dict[str, Any], run_baseline: float | None) -> float:
    """The same-window overhead (runs from now on), else p50 minus the run's baseline."""
    if "same_window" in figure:
        return float(figure["same_window"]["overhead_p50_us"])
    if "overhead_p50_us" in figure:
        return float(figure["overhead_p50_us"])
    return float(figure["p50_us"]) - (run_baseline or 0.0)
