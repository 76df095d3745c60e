"""What a login costs beyond wall-clock time: client instructions, Redis time, Redis bytes.

Derives the figures beyond ``AxesDummyHandler`` and their verdicts, and renders their table.
"""

from __future__ import annotations

from typing import Any

from benchmarks.report.targets import PAIRS, Verdicts, ok, ratio

OPERATIONS = ("check_clean", "failed_login", "success_login")
BYTES_CASES = ("realistic", "worst", "worst_three_sets")


def kilo(value: float | None) -> str:
    return "-" if value is None else f"{value / 1000:,.0f} k"


def instructions(subject: dict[str, Any] | None) -> dict[str, float] | None:
    found = (subject or {}).get("instructions") if ok(subject) else None
    return found["per_op"] if found and found.get("available") else None


def derive(by: dict[str, dict[str, Any]], verdicts: Verdicts) -> dict[str, Any]:
    """Instructions beyond AxesDummyHandler per subject, and the targets of these figures."""
    base = instructions(by.get("baseline"))
    floor = instructions(by.get("floor"))
    evalsha = floor.get("evalsha") if floor else None
    beyond: dict[str, dict[str, float]] = {}
    for name, subject in by.items():
        mine = instructions(subject)
        if name != "floor" and mine and base:
            beyond[name] = {op: mine[op] - base[op] for op in OPERATIONS if op in mine}
    missing = next(
        (
            s["instructions"].get("reason", "")
            for s in by.values()
            if ok(s) and "instructions" in s and not s["instructions"].get("available")
        ),
        "",
    )
    for ours, cache in PAIRS:
        if ok(by.get(ours)):
            lean_targets(by, verdicts, ours, cache, beyond, evalsha, missing)
    return {"instructions_beyond_dummy": beyond}


def lean_targets(
    by: dict[str, dict[str, Any]],
    verdicts: Verdicts,
    ours: str,
    cache: str,
    beyond: dict[str, dict[str, float]],
    evalsha: float | None,
    missing: str,
) -> None:
    """The verdicts of our handler ``ours`` on the figures it has in this run."""
    mine = by[ours]
    why = f" ({missing})" if missing else ""
    for op in ("failed_login", "check_clean") if "instructions" in mine else ():
        mine_op = beyond.get(ours, {}).get(op)
        other = beyond.get(cache, {}).get(op)
        verdicts.add(
            f"instructions_{op}_vs_cache",
            ours,
            ratio(mine_op, other),
            f"{kilo(mine_op)} vs {cache} {kilo(other)}{why}",
        )
        verdicts.add(
            f"instructions_{op}_vs_evalsha",
            ours,
            ratio(mine_op, evalsha),
            f"{kilo(mine_op)} vs EVALSHA {kilo(evalsha)}{why}",
        )
    if "server_us" in mine:
        server = mine["server_us"]["failed_login"]
        script = server.get("scripts", {}).get("record_failure", {})
        verdicts.add(
            "server_us_record_failure",
            ours,
            script.get("usec_per_call"),
            f"{server.get('us_per_op', 0):.1f} us of Redis per failed login in all",
        )
    if "bytes_per_client" in mine:
        cases = mine["bytes_per_client"]["cases"]
        theirs = (by.get(cache) or {}).get("bytes_per_client", {}).get("cases", {})
        mine_b = cases.get("realistic", {}).get("used_memory_delta_per_client")
        their_b = theirs.get("realistic", {}).get("used_memory_delta_per_client")
        verdicts.add(
            "bytes_realistic_vs_cache",
            ours,
            ratio(mine_b, their_b),
            f"{_bytes(mine_b)} vs {cache} {_bytes(their_b)} per client",
        )
        for case in ("worst", "worst_three_sets"):
            found = cases.get(case, {})
            verdicts.add(
                "bytes_worst_per_key",
                ours,
                found.get("bytes_per_key"),
                f"{_bytes(found.get('used_memory_delta_per_client'))} per client, "
                f"{found.get('keys_per_client', 0):g} keys per client",
                case=case.replace("_", " "),
            )


def _bytes(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} B"


def lines(document: dict[str, Any]) -> list[str]:
    """The table of these figures, one row per subject, and the floor's EVALSHA."""
    by = {s["subject"]: s for s in document["subjects"]}
    if not any(figure in s for s in by.values() for figure in ("instructions", "server_us")):
        return []
    beyond = document["derived"].get("instructions_beyond_dummy", {})
    out = [
        "",
        "Lean figures: client instructions per op (callgrind; beyond AxesDummyHandler in "
        "brackets), Redis time per op (commandstats), Redis bytes per tracked client "
        "(used_memory Δ; B/key in brackets):",
        "",
        "| subject | instr. / clean check | instr. / failed login | instr. / successful login "
        "| Redis µs / failed login (per script call) | Redis µs / clean check, success "
        "| B/client realistic | worst | worst, 3 parameter sets |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, subject in by.items():
        if name == "floor" or not ok(subject):
            continue
        per_op = instructions(subject) or {}
        more = beyond.get(name, {})
        cells = [
            f"{kilo(per_op.get(op))} ({kilo(more.get(op))})" if op in per_op else "-"
            for op in OPERATIONS
        ]
        server = subject.get("server_us")
        if server:
            failed = server["failed_login"]
            scripts = ", ".join(
                f"{script} {found['usec_per_call']:.1f}"
                for script, found in failed.get("scripts", {}).items()
            )
            cells.append(f"{failed['us_per_op']:.1f}" + (f" ({scripts})" if scripts else ""))
            cells.append(
                f"{server['check_clean']['us_per_op']:.1f}, "
                f"{server['success_login']['us_per_op']:.1f}"
            )
        else:
            cells += ["-", "-"]
        cases = subject.get("bytes_per_client", {}).get("cases", {})
        for case in BYTES_CASES:
            found = cases.get(case)
            cells.append(
                f"{found['used_memory_delta_per_client']:,.0f} ({found['bytes_per_key']:,.0f})"
                if found
                else "-"
            )
        out.append(f"| {subject['label']} | " + " | ".join(cells) + " |")
    floor = instructions(by.get("floor"))
    if floor:
        out += ["", f"One bare redis-py EVALSHA: {kilo(floor['evalsha'])} instructions."]
    reasons = {
        s["instructions"].get("reason")
        for s in by.values()
        if ok(s) and "instructions" in s and not s["instructions"].get("available")
    }
    out += [f"Instructions not counted: {reason}." for reason in sorted(reasons) if reason]
    for subject in by.values():
        busy = sum(
            found.get("foreign_calls", 0)
            for found in subject.get("server_us", {}).values()
            if isinstance(found, dict)
        )
        if busy:
            out.append(
                f"WARNING {subject['label']}: server_us counted {busy} calls another client of "
                "the bench Redis made; give the bench a Redis of its own."
            )
    return out
