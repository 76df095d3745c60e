"""The chart of a run: overheads, the race and memory per subject (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw(document: dict[str, Any], path: Path) -> None:
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
