"""What one ``import-db`` run read, carried over and skipped (and why): the report it prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

EXPIRED = "expired"
PAST_RETENTION = "past retention"
WHITELISTED = "whitelisted"
NO_USERNAME = "no username"
UNUSABLE = "unusable"
REASONS = {
    EXPIRED: "cool-off over",
    PAST_RETENTION: "no cool-off, below the limit, older than AXES_REDIS_RETENTION",
    WHITELISTED: "whitelisted under the current settings",
    NO_USERNAME: "no username, and the username is the only lockout parameter",
    UNUSABLE: "no failures, or lockout parameters that cannot be computed",
}
"""Why a row was skipped, in report order."""


@dataclass
class ImportReport:
    """What ``import-db`` read, what it carried over and what it skipped."""

    database: str
    dry_run: bool
    batch_size: int
    rows: int = 0
    imported_rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    keys: int = 0
    by_parameters: Counter[str] = field(default_factory=Counter)
    locked: int = 0
    """Keys whose imported count reaches their limit: lockouts carried over."""
    persistent: int = 0
    """Keys written without a TTL (no cool-off: locked until reset)."""
    created: int = 0
    raised: int = 0
    unchanged: int = 0
    batches: int = 0
    """Pipelined round trips of script calls (the batches a dry run would send)."""
    problems: list[str] = field(default_factory=list)

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    def lines(self) -> list[str]:
        """The report as the command prints it."""
        verb = "would be" if self.dry_run else "were"
        found = [
            f"Read {self.rows} AccessAttempt row(s) from the database {self.database!r}.",
            f"Imported: {self.imported_rows} row(s) -> {self.keys} Redis key(s) "
            f"({self.locked} locked out, {self.persistent} without a cool-off).",
        ]
        width = max(len(name) for name in self.by_parameters) if self.by_parameters else 0
        for name, count in sorted(self.by_parameters.items()):
            found.append(f"  {name.ljust(width)}  {count}")
        found.append(f"Skipped:  {self.skipped_rows} row(s).")
        for reason, why in REASONS.items():
            if self.skipped[reason]:
                found.append(f"  {reason}: {self.skipped[reason]} ({why})")
        found.extend(f"  {problem}" for problem in self.problems)
        hidden = self.skipped[UNUSABLE] - len(self.problems)
        if hidden > 0 and self.problems:
            found.append(f"  ... and {hidden} more unusable row(s)")
        if self.dry_run:
            found.append(
                f"Dry run: nothing written; {self.keys} key(s) {verb} merged in "
                f"{self.batches} batch(es) of at most {self.batch_size} script calls."
            )
        else:
            found.append(
                f"Redis: {self.created} key(s) created, {self.raised} updated, "
                f"{self.unchanged} unchanged (already as many failures and as long a "
                f"cool-off), in {self.batches} batch(es) of at most {self.batch_size} "
                "script calls."
            )
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "imported_rows": self.imported_rows,
            "skipped": {reason: self.skipped[reason] for reason in REASONS},
            "keys": self.keys,
            "by_parameters": dict(sorted(self.by_parameters.items())),
            "locked": self.locked,
            "persistent": self.persistent,
            "created": self.created,
            "raised": self.raised,
            "unchanged": self.unchanged,
            "batches": self.batches,
            "batch_size": self.batch_size,
        }
