"""The markdown a run prints: machine, parameters, notes, the tables, targets, warnings."""

from __future__ import annotations

from typing import Any

from benchmarks.report import attack, lean
from benchmarks.report.derive import scale_overhead
from benchmarks.report.targets import ok, p50

TIMED = ("failed_login", "check_clean", "check_locked", "e2e_login")
"""The timing figures of the first table's row: a run that took only some has no row."""


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def markdown(document: dict[str, Any]) -> str:
    m, p = document["machine"], document["parameters"]
    by = {s["subject"]: s for s in document["subjects"]}
    overheads = document["derived"]["overhead_us"]
    lines = [
        f"## axes-redis benchmarks ({document['mode']} run, {document['generated']})",
        "",
        f"Command: `{document['command']}` (took {document['seconds']:.0f} s).",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['platform']}; Python {m['python']}, "
        f"Django {m['Django']}, django-axes {m['django-axes']}, redis-py {m['redis']}, "
        f"django-redis {m['django-redis']}, django-defender {m['django-defender']}, "
        f"psycopg {m['psycopg']}, hiredis {m['hiredis'] or 'not installed'}; "
        f"Redis server {m['redis_server']} ({document['redis']['source']}); "
        f"{document['postgres']['source']}.",
        "",
        f"Parameters: {p['rounds']} rounds per timing figure (medians shown); failed_login "
        f"{p['login_ops']:,} ops per round, each from a new client "
        f"({p['rounds'] * p['login_ops']:,} distinct clients); checks {p['check_ops']:,} ops "
        f"per round ({p['locked_clients']} locked clients for check_locked); e2e "
        f"{p['e2e_ops']:,} per round; round trips counted over {p['round_trip_ops']} ops; "
        f"memory after {p['memory_clients']:,} clients; failure limit L={p['limit']}; "
        f"race C = {', '.join(map(str, p['race_attackers']))}.",
        "",
        *[f"- {note}" for note in document["notes"]],
        "",
        "| subject | failed login ops/s | p50 µs | p99 µs | overhead µs | check clean p50 µs "
        "| overhead µs | check locked p50 µs | overhead µs | e2e p50 µs | overhead µs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, subject in by.items():
        if name == "floor":
            continue
        if subject.get("status") != "ok":
            lines.append(f"| {subject['label']} | {subject['status']}: {subject.get('reason')} |")
            continue
        if not all(figure in subject for figure in TIMED):
            continue
        o = overheads.get(name, {})
        fl = subject["failed_login"]
        cc, cl, e2e = subject["check_clean"], subject["check_locked"], subject["e2e_login"]
        lines.append(
            f"| {subject['label']} | {_num(fl['ops_s'])} | {_num(fl['p50_us'])} "
            f"| {_num(fl['p99_us'])} | {_num(o.get('failed_login'))} | {_num(cc['p50_us'])} "
            f"| {_num(o.get('check_clean'))} | {_num(cl['p50_us'])} "
            f"| {_num(o.get('check_locked'))} | {_num(e2e['p50_us'])} "
            f"| {_num(o.get('e2e_login'))} |"
        )
    floor = by.get("floor", {}).get("floor")
    if floor:
        lines += [
            "",
            f"Floor (bare redis-py, same run): EVALSHA of INCR+PEXPIRE p50 "
            f"{floor['evalsha']['p50_us']:.0f} µs (p99 {floor['evalsha']['p99_us']:.0f}, "
            f"{floor['evalsha']['ops_s']:,.0f} ops/s); GET p50 {floor['get']['p50_us']:.0f} µs "
            f"(p99 {floor['get']['p99_us']:.0f}, {floor['get']['ops_s']:,.0f} ops/s).",
        ]
        paced = floor.get("evalsha_after_work", {})
        if paced:
            lines.append(
                "The same EVALSHA after the client kept its CPU busy for a while (untimed): "
                + ", ".join(
                    f"{int(gap):,} µs of work → p50 {f['p50_us']:.0f} µs"
                    for gap, f in sorted(paced.items(), key=lambda kv: int(kv[0]))
                )
                + "."
            )
    for subject in by.values():
        paced = {
            figure: subject[figure]["paced_floor"]
            for figure in ("failed_login", "check_clean", "check_locked")
            if subject.get("status") == "ok" and "paced_floor" in subject.get(figure, {})
        }
        if paced:
            lines.append(
                f"Floor at login pace, in the process of {subject['label']}: "
                + "; ".join(
                    f"{f['command'].upper()} after each {figure} p50 {f['p50_us']:.0f} µs "
                    f"(p99 {f['p99_us']:.0f})"
                    for figure, f in paced.items()
                )
                + "."
            )
    race_cs = [str(c) for c in p["race_attackers"]]
    lines += [
        "",
        "| subject | Redis per failed login: round trips, commands | same, 2nd failure of a client "
        "| Redis per successful login: round trips, commands "
        "| Redis commands / check (clean, locked) "
        "| SQL / failed login (1st, 2nd) | SQL / check "
        "| Redis B/client (MEMORY USAGE, used_memory Δ) "
        + "".join(f"| race C={c} " for c in race_cs)
        + "|",
        "|---|---:|---:|---:|---:|---:|---:|---:" + "|---:" * len(race_cs) + "|",
    ]
    for name, subject in by.items():
        if name == "floor" or subject.get("status") != "ok" or "round_trips" not in subject:
            continue
        t = subject["round_trips"]
        fl, cc, cl = t["failed_login"], t["check_clean"], t["check_locked"]
        success = t.get("success_login", {})
        again = t["failed_login_repeat"]
        mem = subject.get("memory")
        mem_text = (
            f"{mem['memory_usage_bytes_per_client']:.0f}, "
            f"{mem['used_memory_delta_per_client']:.0f} ({mem['keys_per_client']:g} keys)"
            if mem
            else "-"
        )
        race = subject.get("race", {})
        race_text = ""
        for c in race_cs:
            r = race.get(c)
            if r is None:
                race_text += "| - "
            else:
                err = f" ({r['errors']} errors)" if r["errors"] else ""
                race_text += f"| {r['evaluated']}{err} "
        lines.append(
            f"| {subject['label']} | {_cmds(fl)} | {_cmds(again)} "
            f"| {_cmds(success) if success else '-'} "
            f"| {_num(cc['redis_commands'], 1)}, {_num(cl['redis_commands'], 1)} "
            f"| {_num(fl['sql_queries'], 1)}, {_num(again['sql_queries'], 1)} "
            f"| {_num(cc['sql_queries'], 1)}, {_num(cl['sql_queries'], 1)} | {mem_text} "
            + race_text
            + "|"
        )
    lines += [
        "",
        f"Race: guesses evaluated (password checks reached) with L={p['limit']}; a perfect "
        f"system evaluates exactly {p['limit']}. The baseline never locks: its figure is "
        "every attempt made (C x (L+1)).",
    ]
    for subject in by.values():
        scale = subject.get("scale")
        if not scale:
            continue
        base = by.get("baseline", {})
        lines += [
            "",
            f"Scale ({subject['label']}; clients pre-seeded with pipelined HSET+PEXPIRE; "
            "each round paired with a round of AxesDummyHandler in the same process, "
            "overhead = median of the per-round differences; bare = the bare EVALSHA / GET "
            "at login pace, same level):",
            "",
            "| tracked clients | failed login p50 µs | same-window baseline µs | overhead µs "
            "| bare EVALSHA µs | check p50 µs | same-window baseline µs | overhead µs "
            "| bare GET µs | seeding s |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for level in sorted(scale, key=int):
            s = scale[level]
            cells = []
            for figure in ("failed_login", "check_clean"):
                run_base = p50(base, figure) if ok(base) else None
                found = s[figure]
                same_window = found.get("same_window", found)
                cells += [
                    _num(found["p50_us"]),
                    _num(same_window.get("baseline_p50_us", run_base)),
                    _num(scale_overhead(found, run_base)),
                    _num(found.get("paced_floor", {}).get("p50_us")),
                ]
            row = [f"{s['tracked_at_start']:,}", *cells, f"{s['seed_seconds']:.1f}"]
            lines.append("| " + " | ".join(row) + " |")
    lines += lean.lines(document)
    lines += attack.lines(document)
    lines += ["", "Targets (our handler, same run):", ""]
    for t in document["derived"]["targets"]:
        verdict = "PASS" if t["pass"] else "MISS"
        measured = "not measured" if t["measured"] is None else f"{t['measured']:.3g}"
        lines.append(
            f"- {verdict} {t['subject']}: {t['target']}: measured {measured} "
            f"(limit {t['limit']:.3g}; {t['detail']})"
        )
    for subject in by.values():
        if subject.get("status") != "ok" or subject["subject"] in ("floor", "baseline"):
            continue
        if not subject.get("check_clean", {}).get("all_allowed", True):
            lines.append(f"- WARNING {subject['label']}: check_clean refused a clean client")
        if not subject.get("check_locked", {}).get("all_refused", True):
            lines.append(f"- WARNING {subject['label']}: check_locked let a locked client in")
        for c, race in subject.get("race", {}).items():
            if race["errors"]:
                lines.append(
                    f"- WARNING {subject['label']}: race C={c}: {race['errors']} attackers "
                    f"failed with an error, first: {race['first_error']}"
                )
    for found in document["derived"].get("drift", []):
        lines.append(
            f"- WARNING {by[found['subject']]['label']}: ran while the machine was "
            f"{found['slowdown']:.2f}x as slow as for the baseline subject (the same "
            f"AxesDummyHandler failed login: p50 {found['same_window_baseline_p50_us']:.0f} µs "
            f"vs {found['baseline_p50_us']:.0f} µs); compare its figures with other subjects' "
            "with care."
        )
    problems = [s for s in document["subjects"] if s.get("status") != "ok"]
    for s in problems:
        lines.append(f"- {s['status'].upper()} {s['label']}: {s.get('reason')}")
    base_profile = by.get("baseline", {}).get("profile", {})
    for subject in by.values():
        profile = subject.get("profile")
        if not profile or subject["subject"] == "baseline":
            continue
        lines += [
            "",
            f"Profile of {subject['label']} (pyinstrument; self time by package, stdlib and C "
            "calls counted for the package that made them; shares applied to the unprofiled "
            "mean of the same figure; in brackets the baseline's, profiled the same way):",
        ]
        for figure, found in profile.items():
            mean = subject.get(figure, {}).get("mean_us", 0.0)
            base = base_profile.get(figure, {}).get("share_by_package", {})
            base_mean = by.get("baseline", {}).get(figure, {}).get("mean_us", 0.0)
            shares = sorted(found["share_by_package"].items(), key=lambda kv: -kv[1])
            parts = ", ".join(
                f"{name} ~{share * mean:.0f} µs ({base.get(name, 0.0) * base_mean:.0f})"
                for name, share in shares
                if share * mean >= 1
            )
            lines.append(f"- {figure}: mean {mean:.0f} µs (baseline {base_mean:.0f}): {parts}")
    lines += ["", f"Figures: `benchmarks/results/latest.json`; chart: `{document['chart']}`."]
    return "\n".join(lines)


def _cmds(trips: dict[str, Any]) -> str:
    names = trips.get("redis_commands_by_name", {})
    if not names:
        return "0"
    detail = " ".join(f"{k} x{v:g}" for k, v in names.items())
    return f"{trips['redis_round_trips']:g}, {trips['redis_commands']:g} ({detail})"
