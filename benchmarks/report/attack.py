"""The under-attack figures in the report: their table and their targets.

The scenario runs after the subjects, through gunicorn (``benchmarks.under_attack``); its
rows are stored in the results document as they came, so the report and a later reader see
the same figures.
"""

from __future__ import annotations

from typing import Any

from benchmarks.report.targets import Verdicts

OURS = "axes-redis"
"""The under-attack subject that the targets hold to account."""


def derive(document: dict[str, Any], verdicts: Verdicts) -> None:
    """A security package that refuses or fails honest users under load has failed."""
    attack = document.get("under_attack")
    if not attack:
        return
    rows = {row["subject"]: row for row in attack["rows"]}
    mine = rows.get(OURS)
    if mine is None or mine["skipped"]:
        return
    detail = f"{mine['honest_logins']} honest logins during {mine['requests']:,} requests"
    verdicts.add("attack_honest_refused", OURS, mine["honest_refused"], detail)
    verdicts.add(
        "attack_server_errors",
        OURS,
        mine["server_errors"] + mine["no_answer"],
        f"{mine['server_errors']} 5xx, {mine['no_answer']} unanswered",
    )


def lines(document: dict[str, Any]) -> list[str]:
    attack = document.get("under_attack")
    if not attack:
        return []
    from benchmarks.under_attack import Row, table

    return [
        "",
        f"Under attack (gunicorn -k gthread, credential stuffing through X-Forwarded-For plus "
        f"one honest login at a time; PBKDF2 at {attack['iterations']:,} iterations, "
        f"{attack['seconds']:g} s per subject in {attack['turns']} turns):",
        "",
        table([Row(**row) for row in attack["rows"]]),
    ]
