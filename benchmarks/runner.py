"""One subject, in its own process: ``python -m benchmarks.runner SUBJECT PARAMS OUT``.

Started by the orchestrator (``python -m benchmarks``) with the subject's
``DJANGO_SETTINGS_MODULE``. Walks the subject's steps, each one figure module's
``measure``; prints one ``@@step <name>`` line per finished step on stdout (the
orchestrator's progress bar) and writes every figure to ``OUT`` as JSON.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

from benchmarks.subjects import BY_NAME, steps

LEVELLED = ("scale", "race")
"""Figures taken at several levels (``scale:10000``): their results are keyed by level."""


def done(step: str) -> None:
    print(f"@@step {step}", flush=True)


def main() -> None:
    name, params_json, out_path = sys.argv[1:4]
    subject = BY_NAME[name]
    params = json.loads(params_json)
    url = os.environ["BENCH_REDIS_URL"]
    result: dict[str, Any] = {"subject": name, "label": subject.label, "status": "ok"}

    if subject.kind == "floor":
        from benchmarks.figures import floor, instructions

        for step in steps(subject, params):
            if step == "floor":
                result["floor"] = floor.measure_floor(params, url)
            else:
                result["instructions"] = instructions.measure_floor(params)
            done(step)
    else:
        import django

        django.setup()
        from benchmarks.bench import Bench

        bench = Bench(subject, params, url)
        for step in steps(subject, params):
            figure_name, _, arg = step.partition(":")
            if step == "setup":
                bench.setup()
            else:
                figure = importlib.import_module(f"benchmarks.figures.{figure_name}")
                if figure_name in LEVELLED:
                    result.setdefault(figure_name, {})[arg] = figure.measure(bench, int(arg))
                else:
                    result[figure_name] = figure.measure(bench)
            done(step)
        bench.redis.flushdb()
    with open(out_path, "w") as out:
        json.dump(result, out, indent=1)


if __name__ == "__main__":
    main()
