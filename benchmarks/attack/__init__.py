"""The under-attack load test: the example project under gunicorn, sprayed over loopback.

``load`` is the HTTP load generator and its figures, ``server`` starts and measures the
served project, ``prepare`` creates its database; ``benchmarks.under_attack`` drives them.
"""
