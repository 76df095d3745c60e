"""Derived figures, the targets of issue 5, the markdown table and the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

NOTES = [
    "Every subject uses the MD5 password hasher and the same LOGGING (every logger to a "
    "NullHandler at INFO: records are built, nothing is written); Django's own tables "
    "(users, sessions) are on one SQLite file (IMMEDIATE transactions) in every subject.",
    "Timings are medians over the rounds of each round's p50/p99. Overhead = median over "
    "rounds of (subject p50 - p50 of a round of the same operation with AxesDummyHandler, "
    "run in the same process right after it, or right before it every other round); for "
    "django-defender, which has no django-axes to swap, subject p50 - the baseline "
    "subject's p50. Only the operation is timed, not building its request.",
    "floor: the bare redis-py EVALSHA (INCR+PEXPIRE) and GET, back to back in a process of "
    "their own, and, for our handler, the same calls at login pace: each bare call follows "
    "one untimed AxesDummyHandler operation (a round after every round of the subject), "
    "because on this VM a round trip costs more the longer the client worked since the "
    "previous one.",
    "failed_login: authenticate() with a wrong password (AxesStandaloneBackend + ModelBackend, "
    "user unknown), every call from a new client (IP and username), lockout by ip_address. "
    "For django-defender: its watch_login decorator (what FailedLoginMiddleware wraps around "
    "LoginView.dispatch) around a view calling authenticate(), so it includes defender's lock "
    "check, its AccessAttempt row (DEFENDER_STORE_ACCESS_ATTEMPTS, on by default) and its "
    "Redis counters.",
    "check: AxesProxyHandler.is_allowed() (defender: utils.is_already_locked()).",
    "e2e_login: Django test client POST /login/ (LoginView) with a wrong password, through "
    "the subject's documented middleware and backends.",
    "round_trips: Redis commands our process sent (client-side count) and, server-side, "
    "INFO commandstats deltas (these include the commands a Lua script runs); SQL via "
    "CaptureQueriesContext on every database alias.",
    "memory: clients recorded through the subject's own failure path (without the password "
    "check), request with a 70-character Firefox user agent; MEMORY USAGE summed over all "
    "keys, and the server's used_memory delta, each divided by the number of clients.",
    "race: C processes (fork) released by a barrier guess passwords for one username, each "
    "from its own IP (lockout by username), each trying up to L+1 times and stopping at its "
    "first refusal; the password check is a backend that sleeps 5 ms and counts. "
    "django-defender locks when its count exceeds its limit, so its limit is L-1: a lone "
    "attacker gets L guesses with every subject (column C=1).",
]


def _ok(subject: dict[str, Any] | None) -> bool:
    return bool(subject) and subject is not None and subject.get("status") == "ok"


def _p50(subject: dict[str, Any], figure: str) -> float | None:
    found = subject.get(figure)
    return float(found["p50_us"]) if found else None


def derive(document: dict[str, Any]) -> dict[str, Any]:
    by = {s["subject"]: s for s in document["subjects"]}
    baseline = by.get("baseline")
    floor = by.get("floor", {}).get("floor") if _ok(by.get("floor")) else None
    overheads: dict[str, dict[str, float]] = {}
    for name, subject in by.items():
        if name in ("floor",) or not _ok(subject):
            continue
        row = {}
        for figure in ("failed_login", "check_clean", "check_locked", "e2e_login"):
            same_window = subject.get(figure, {}).get("same_window")
            if same_window:
                row[figure] = float(same_window["overhead_p50_us"])
            elif _ok(baseline):
                assert baseline is not None
                mine, base = _p50(subject, figure), _p50(baseline, figure)
                if mine is not None and base is not None:
                    row[figure] = mine - base
        overheads[name] = row
    targets: list[dict[str, Any]] = []

    def target(name: str, subject: str, measured: float | None, limit: float, text: str) -> None:
        targets.append(
            {
                "target": name,
                "subject": subject,
                "measured": measured,
                "limit": limit,
                "pass": measured is not None and measured <= limit,
                "detail": text,
            }
        )

    def ratio(a: float | None, b: float | None) -> float | None:
        if a is None or b is None or b <= 0:
            return None
        return a / b

    pairs = [("ours_django_redis", "cache_django_redis"), ("ours_redis", "cache_redis")]
    for ours, cache in pairs:
        if ours not in overheads:
            continue
        mine = overheads[ours]
        fl = mine.get("failed_login")
        other = overheads.get(cache, {}).get("failed_login")
        r = ratio(fl, other)
        target(
            "failed-login overhead <= 1/4 of AxesCacheHandler's (same cache backend)",
            ours,
            r,
            0.25,
            f"{_us(fl)} vs {cache} {_us(other)}",
        )
        pg = overheads.get("db_postgres", {}).get("failed_login")
        r = ratio(fl, pg)
        reason = "" if pg is not None else f" ({by.get('db_postgres', {}).get('reason', '')})"
        target(
            "failed-login overhead <= 1/15 of AxesDatabaseHandler's on PostgreSQL",
            ours,
            r,
            1 / 15,
            f"{_us(fl)} vs db_postgres {_us(pg)}{reason}",
        )
        for figure, command, limit, what in (
            ("failed_login", "evalsha", 1.5, "failed-login overhead"),
            ("check_clean", "get", 1.3, "check overhead (check_clean)"),
            ("check_locked", "get", 1.3, "check overhead (check_locked)"),
        ):
            if floor:
                bare = floor[command]["p50_us"]
                target(
                    f"{what} <= {limit}x the bare {command.upper()} floor (back to back)",
                    ours,
                    ratio(mine.get(figure), bare),
                    limit,
                    f"{_us(mine.get(figure))} vs {command.upper()} {_us(bare)}",
                )
            paced = by[ours].get(figure, {}).get("paced_floor")
            if paced:
                target(
                    f"{what} <= {limit}x the bare {command.upper()} floor at login pace",
                    ours,
                    ratio(mine.get(figure), paced["p50_us"]),
                    limit,
                    f"{_us(mine.get(figure))} vs {command.upper()} {_us(paced['p50_us'])}",
                )
        trips = by[ours].get("round_trips", {})
        # A failed login is the check that takes the guess's slot and the record that
        # settles it; a check without credentials only reads.
        for figure, most in (
            ("failed_login", 2),
            ("success_login", 2),
            ("check_clean", 1),
            ("check_locked", 1),
        ):
            sent = trips.get(figure, {}).get("redis_commands")
            names = trips.get(figure, {}).get("redis_commands_by_name", {})
            target(
                f"at most {most} Redis command{'s' if most > 1 else ''} per "
                f"{figure.replace('_', ' ')}",
                ours,
                sent,
                float(most),
                f"{sent} sent: {names}",
            )
        memory = by[ours].get("memory")
        if memory:
            delta = memory["used_memory_delta_per_client"]
            target(
                "<= 200 bytes of Redis memory per tracked single-parameter client",
                ours,
                delta,
                200,
                f"used_memory delta {delta:.0f} B/client, MEMORY USAGE "
                f"{memory['memory_usage_bytes_per_client']:.0f} B/client",
            )
            lean = memory.get("without_metadata")
            if lean:
                delta = lean["used_memory_delta_per_client"]
                target(
                    "<= 200 bytes of Redis memory per tracked single-parameter client, "
                    "with AXES_REDIS_METADATA = False",
                    ours,
                    delta,
                    200,
                    f"used_memory delta {delta:.0f} B/client, MEMORY USAGE "
                    f"{lean['memory_usage_bytes_per_client']:.0f} B/client",
                )
        scale = by[ours].get("scale")
        if scale and _ok(baseline):
            assert baseline is not None
            levels = sorted(scale, key=int)
            low, high = scale[levels[0]], scale[levels[-1]]
            for figure, base_figure in (
                ("failed_login", "failed_login"),
                ("check_clean", "check_clean"),
            ):
                lo = _scale_overhead(low[figure], _p50(baseline, base_figure))
                hi = _scale_overhead(high[figure], _p50(baseline, base_figure))
                target(
                    f"flat {figure} overhead from {int(levels[0]):,} to {int(levels[-1]):,} "
                    "tracked clients (within 10%)",
                    ours,
                    ratio(hi, lo),
                    1.10,
                    f"{_us(lo)} -> {_us(hi)} (p50 total {low[figure]['p50_us']:.0f} -> "
                    f"{high[figure]['p50_us']:.0f} us)",
                )
                lo_floor = low[figure].get("paced_floor", {}).get("p50_us")
                hi_floor = high[figure].get("paced_floor", {}).get("p50_us")
                if lo_floor and hi_floor:
                    target(
                        f"flat {figure} overhead from {int(levels[0]):,} to {int(levels[-1]):,} "
                        "tracked clients (within 10%), in units of the same level's bare "
                        "round trip at login pace",
                        ours,
                        ratio(hi / hi_floor, lo / lo_floor),
                        1.10,
                        f"{lo / lo_floor:.2f} -> {hi / hi_floor:.2f} x the bare round trip "
                        f"({lo_floor:.0f} -> {hi_floor:.0f} us)",
                    )
    return {"overhead_us": overheads, "targets": targets, "drift": drift(by)}


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
    if not _ok(baseline):
        return []
    assert baseline is not None
    reference = _p50(baseline, "failed_login")
    found = []
    for name, subject in by.items():
        same_window = subject.get("failed_login", {}).get("same_window") if _ok(subject) else None
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


def _scale_overhead(figure: dict[str, Any], run_baseline: float | None) -> float:
    """The same-window overhead (runs from now on), else p50 minus the run's baseline."""
    if "same_window" in figure:
        return float(figure["same_window"]["overhead_p50_us"])
    if "overhead_p50_us" in figure:
        return float(figure["overhead_p50_us"])
    return float(figure["p50_us"]) - (run_baseline or 0.0)


def _us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} us"


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
        if name == "floor" or subject.get("status") != "ok":
            continue
        t = subject["round_trips"]
        fl, cc, cl = t["failed_login"], t["check_clean"], t["check_locked"]
        ok = t.get("success_login", {})
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
            f"| {subject['label']} | {_cmds(fl)} | {_cmds(again)} | {_cmds(ok) if ok else '-'} "
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
                run_base = _p50(base, figure) if _ok(base) else None
                found = s[figure]
                same_window = found.get("same_window", found)
                cells += [
                    _num(found["p50_us"]),
                    _num(same_window.get("baseline_p50_us", run_base)),
                    _num(_scale_overhead(found, run_base)),
                    _num(found.get("paced_floor", {}).get("p50_us")),
                ]
            row = [f"{s['tracked_at_start']:,}", *cells, f"{s['seed_seconds']:.1f}"]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Targets (issue 5, our handler, same run):", ""]
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
        if not subject["check_clean"].get("all_allowed", True):
            lines.append(f"- WARNING {subject['label']}: check_clean refused a clean client")
        if not subject["check_locked"].get("all_refused", True):
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


def chart(document: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by = {s["subject"]: s for s in document["subjects"] if s.get("status") == "ok"}
    overheads = document["derived"]["overhead_us"]
    names = [n for n in overheads if n != "baseline"]
    labels = [by[n]["label"] for n in names]
    colors = ["tab:green" if n.startswith("ours") else "tab:gray" for n in names]
    floor = by.get("floor", {}).get("floor")
    fig, axes = plt.subplots(2, 2, figsize=(16, 10))

    for ax, figure, title, floor_key in (
        (axes[0][0], "failed_login", "failed login: overhead over baseline (p50, µs)", "evalsha"),
        (axes[0][1], "check_clean", "lockout check: overhead over baseline (p50, µs)", "get"),
    ):
        values = [overheads[n].get(figure, 0.0) for n in names]
        ax.barh(labels, values, color=colors)
        ax.invert_yaxis()
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
        if floor:
            x = floor[floor_key]["p50_us"]
            ax.axvline(x, color="tab:red", linestyle="--", label=f"bare {floor_key.upper()} p50")
            ax.legend(fontsize=8, loc="lower right")
        ax.set_title(title)

    ax = axes[1][0]
    race_cs = [str(c) for c in document["parameters"]["race_attackers"]]
    race_names = [n for n in by if by[n].get("race") and n != "baseline"]
    width = 0.8 / max(1, len(race_names))
    for i, n in enumerate(race_names):
        xs = [j + i * width for j in range(len(race_cs))]
        ys = [by[n]["race"].get(c, {}).get("evaluated", 0) for c in race_cs]
        ax.bar(xs, ys, width=width, label=by[n]["label"])
    limit = document["parameters"]["limit"]
    ax.axhline(limit, color="tab:red", linestyle="--", label=f"L = {limit} (perfect)")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(race_cs))])
    ax.set_xticklabels([f"C={c}" for c in race_cs])
    ax.set_title(
        "race: guesses evaluated before the lockout stops C attackers\n"
        "(baseline, which never locks, not drawn: C x (L+1))"
    )
    ax.legend(fontsize=7)

    ax = axes[1][1]
    mem_names = [n for n in names if by[n].get("memory")]
    values = [by[n]["memory"]["used_memory_delta_per_client"] for n in mem_names]
    ax.barh(
        [by[n]["label"] for n in mem_names],
        values,
        color=["tab:green" if n.startswith("ours") else "tab:gray" for n in mem_names],
    )
    ax.invert_yaxis()
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.axvline(200, color="tab:red", linestyle="--", label="target 200 B")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Redis memory per tracked client (used_memory delta, bytes)")

    m = document["machine"]
    fig.suptitle(
        f"axes-redis bench ({document['mode']} run, {document['generated']}): {m['cores']} cores, "
        f"Python {m['python']}, Django {m['Django']}, django-axes {m['django-axes']}, "
        f"Redis {m['redis_server']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
