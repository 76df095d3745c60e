"""One module per figure; each has ``measure(bench, ...)`` returning its figure as a dict.

``benchmarks.runner`` calls ``benchmarks.figures.<step name>.measure`` for each step of
:func:`benchmarks.subjects.steps`; the floor subject (bare redis-py, no Django) calls the
floor's and the instruction counts' ``measure_floor`` instead.
"""
