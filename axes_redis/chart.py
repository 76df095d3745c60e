"""Geometry of the attack overview's charts, drawn by the template as inline SVG.

Server-rendered so that the admin page needs no JavaScript and loads nothing
from elsewhere (a strict Content-Security-Policy stays happy): this module turns
a :class:`axes_redis.overview.Window` into coordinates, and
``templates/admin/axes_redis/overview.html`` writes the ``<svg>``. Only numbers
and times go into the chart; usernames never do, so nothing attacker-chosen is
placed in SVG (the top lists are HTML tables, escaped by the template engine).

Per bucket: a bar of failures, the lockouts among them drawn over it from the
same baseline (they are a subset), and the logins as a line; a transparent
column over the full height carries the bucket's ``<title>``, the browser's own
tooltip. Buckets the bounded read did not cover are shaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes_redis.overview import Bucket, Window

WIDTH = 960
HEIGHT = 220
LEFT = 48
RIGHT = 12
TOP = 12
BOTTOM = 26


@dataclass(frozen=True)
class Column:
    bucket: Bucket
    x: float
    width: float
    slot_x: float
    slot_width: float
    failure_y: float
    failure_height: float
    lockout_y: float
    lockout_height: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str = ""
    moment: datetime | None = None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    right: float
    baseline: float
    plot_height: float
    columns: list[Column]
    logins: str
    """``points`` of the logins polyline."""
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    unread_width: float | None
    """Width of the shaded part, from ``left``, that the bounded read did not cover;
    ``None`` when every bucket was read."""
    step: timedelta


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... at or above ``value``: readable axis ends."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for factor in (1, 2, 5, 10):
        if factor * power >= value:
            return factor * power
    return 10 * power  # unreachable: 10 * power >= value always


def _r(value: float) -> float:
    return round(value, 1)


def layout(window: Window, *, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """Coordinates for ``window``'s chart, in a ``0 0 width height`` viewBox."""
    buckets = window.buckets
    plot_width = width - LEFT - RIGHT
    plot_height = height - TOP - BOTTOM
    baseline = TOP + plot_height
    highest = nice_ceiling(max([1, *(max(b.failures, b.logins) for b in buckets)]))
    slot = plot_width / len(buckets)
    bar = max(1.0, slot * 0.8)

    def y(value: int) -> float:
        return baseline - value / highest * plot_height

    columns = []
    points = []
    unread_x: float | None = None
    for index, bucket in enumerate(buckets):
        slot_x = LEFT + index * slot
        columns.append(
            Column(
                bucket=bucket,
                x=_r(slot_x + (slot - bar) / 2),
                width=_r(bar),
                slot_x=_r(slot_x),
                slot_width=_r(slot),
                failure_y=_r(y(bucket.failures)),
                failure_height=_r(baseline - y(bucket.failures)),
                lockout_y=_r(y(bucket.lockouts)),
                lockout_height=_r(baseline - y(bucket.lockouts)),
            )
        )
        points.append(f"{_r(slot_x + slot / 2)},{_r(y(bucket.logins))}")
        if not bucket.read:
            unread_x = _r(slot_x + slot)
    half = [highest // 2] if highest >= 2 and highest % 2 == 0 else []
    y_ticks = [Tick(_r(y(value)), str(value)) for value in [0, *half, highest]]
    every = 10 if window.step < timedelta(minutes=5) else 12  # 10 minutes, or 3 hours
    x_ticks = [
        Tick(_r(LEFT + index * slot), moment=bucket.start)
        for index, bucket in enumerate(buckets)
        if index % every == 0
    ]
    return Chart(
        width=width,
        height=height,
        left=LEFT,
        top=TOP,
        right=width - RIGHT,
        baseline=_r(baseline),
        plot_height=_r(plot_height),
        columns=columns,
        logins=" ".join(points),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        unread_width=None if unread_x is None else _r(unread_x - LEFT),
        step=window.step,
    )
