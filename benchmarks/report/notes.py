"""The method notes printed above the tables and kept in the results file."""

from __future__ import annotations

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

NOTES += [
    "instructions: client-side instructions per operation (valgrind --tool=callgrind, in a "
    "process of the subject's own with its settings): per op = (instructions of a run of 2N "
    "ops - those of a run of N) / N, each run on fresh clients, so start-up and warm-up "
    "cancel out. Beyond AxesDummyHandler = the subject's figure minus the baseline "
    "subject's; the floor's is one bare redis-py EVALSHA. Counts do not move with a noisy "
    "machine (waiting for Redis is no instruction).",
    "server_us: Redis time per operation: INFO commandstats usec of the commands the "
    "subject sends (client-side count), after CONFIG RESETSTAT, divided by the operations; "
    "per script, SLOWLOG (threshold 0, the same duration commandstats adds up) by SHA.",
    "bytes_per_client: used_memory delta over N failed logins (the subject's full failure "
    "path), one per distinct IP, divided by N, and by the keys created. realistic: e-mail "
    "username, a Chrome user agent, /accounts/login/, the bench's settings; worst: "
    "255-character emoji username, 255-character user agent (Latin-1, as WSGI decodes "
    "headers); worst_three_sets: the same with three lockout parameter sets (IP, username, "
    "both).",
]
