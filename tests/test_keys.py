"""The key schema against hostile input: injective, bounded, and exact under SCAN.

A key is the identity of a tracked client. If two clients share a key, one can
lock out (or unlock) the other; if a SCAN pattern matches more than it should, a
reset of one client wipes the counters of others. Every test here feeds values
an attacker controls (usernames, user agents) into the schema.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from axes.helpers import make_cache_key_list
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axes_redis import keys
from axes_redis.store import AttemptStore

PREFIX = "axes"
NAMES = sorted(keys.PARAMETERS)

HOSTILE_CHARS = [
    "\x00",
    "\n",
    "\r",
    "\t",
    " ",
    "\x7f",
    ":",
    "|",
    "=",
    "{",
    "}",
    "*",
    "?",
    "[",
    "]",
    "^",
    "-",
    "\\",
    "%",
    "#",
    "+",
    "/",
    "@",
    "~",
    "é",
    "☃",
    "😀",
    "\u200b",
    "\uffff",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
]

EQUIVALENT_IPS = [
    ["1.2.3.4", "::ffff:1.2.3.4", "::FFFF:1.2.3.4", " 1.2.3.4 ", "0:0:0:0:0:ffff:102:304"],
    ["2001:db8::1", "2001:0db8:0:0:0:0:0:1", "2001:DB8::1", "2001:db8:0::0:1"],
]
IP_SAMPLES = [ip for group in EQUIVALENT_IPS for ip in group] + [
    "1.2.3.40",
    "11.2.3.4",
    "fe80::1%eth0",
    "not-an-ip",
]
SMALL_POOL = ["", "a", "alice", "alice1.2.3.4", "1.2.3.4", "alice|ip_address=1.2.3.4"]

chars = st.one_of(
    st.sampled_from(HOSTILE_CHARS),
    st.characters(),
    st.characters(categories=["Cs"]),  # lone surrogates
)
short_text = st.text(alphabet=chars, max_size=24)
long_text = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(["a", "é", "*", "%", "\ud800", "😀", "a|b"]),
    st.one_of(st.integers(min_value=40, max_value=300), st.just(100_000)),
)
values = st.one_of(
    st.none(),
    st.sampled_from(SMALL_POOL),
    st.sampled_from(IP_SAMPLES),
    short_text,
    long_text,
)
mappings = st.dictionaries(st.sampled_from(NAMES), values, min_size=1, max_size=3)

# Longest possible key for the three parameters under PREFIX: every value is at most
# MAX_ENCODED_VALUE characters (a literal) or a 65-character digest.
KEY_BOUND = (
    len(f"{PREFIX}:{keys.KIND_CLIENT}:{{}}")
    + sum(len(name) + 1 for name in NAMES)
    + (len(NAMES) - 1)
    + len(NAMES) * keys.MAX_ENCODED_VALUE
)

ENCODED_VALUE = re.compile(r"[A-Za-z0-9_.~%@:+/-]*|#[0-9a-f]{64}")
GLOB_OR_SPACE = re.compile(r"[*?\[\]\\{}\s]")

hypothesis_settings = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
redis_hypothesis_settings = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def canonical_text(name: str, value: object) -> str:
    text = "" if value is None else str(value)
    return keys.canonical_ip(text) if name == "ip_address" else text


def canonical(parameters: Mapping[str, object]) -> dict[str, str]:
    """The oracle: what a client *is*, independently of how it is written in a key."""
    return {name: canonical_text(name, value) for name, value in parameters.items()}


def alternate_spelling(name: str, value: object) -> object:
    """Another spelling of the same value: None for "", an equivalent IP address."""
    if value is None:
        return ""
    if value == "":
        return None
    if name == "ip_address":
        for group in EQUIVALENT_IPS:
            if value in group:
                return group[(group.index(value) + 1) % len(group)]
    return value


def encoded_length(name: str, value: object) -> int:
    text = canonical_text(name, value)
    return len(quote(text, safe="@:+/", errors="surrogatepass"))


def key_set(redis_client: Any, pattern: str) -> set[str]:
    return {
        k.decode("utf-8", errors="surrogateescape") if isinstance(k, bytes) else k
        for k in redis_client.scan_iter(match=pattern, count=1000)
    }


# --- properties of the pure schema -------------------------------------------------


@hypothesis_settings
@given(mappings, mappings)
def test_client_key_is_injective(first, second):
    """Two different clients must never share a counter (and one client never gets two)."""
    same_key = keys.client_key(PREFIX, first) == keys.client_key(PREFIX, second)
    assert same_key == (canonical(first) == canonical(second))


@hypothesis_settings
@given(st.data(), mappings)
def test_equivalent_spellings_share_a_key_and_any_change_splits_it(data, parameters):
    """Respelling an IP or omitting a username must not mint a fresh counter."""
    respelled = {name: alternate_spelling(name, value) for name, value in parameters.items()}
    assert keys.client_key(PREFIX, respelled) == keys.client_key(PREFIX, parameters)

    name = data.draw(st.sampled_from(sorted(parameters)))
    suffix = data.draw(st.text(alphabet=chars, min_size=1, max_size=3))
    changed = {**parameters, name: canonical_text(name, parameters[name]) + suffix}
    same_key = keys.client_key(PREFIX, changed) == keys.client_key(PREFIX, parameters)
    assert same_key == (canonical(changed) == canonical(parameters))


@hypothesis_settings
@given(mappings, st.sampled_from([PREFIX, "a:b", "site-2.x_y", "a*x"]))
def test_parse_key_round_trips(parameters, prefix):
    """A key read back by a reset must name exactly the client that wrote it."""
    key = keys.client_key(prefix, parameters)
    for raw in (key, key.encode("utf-8")):
        parsed = keys.parse_key(prefix, raw)
        assert parsed is not None
        assert parsed.kind == keys.KIND_CLIENT
        assert parsed.encoded == {
            name: keys.encode_value(name, value) for name, value in parameters.items()
        }
        for name, value in parameters.items():
            assert parsed.has(name, value)
            assert parsed.has(name, alternate_spelling(name, value))
            decoded = parsed.parameters[name]
            if encoded_length(name, value) > keys.MAX_ENCODED_VALUE:
                raw_bytes = canonical_text(name, value).encode("utf-8", errors="surrogatepass")
                assert decoded == "#" + hashlib.sha256(raw_bytes).hexdigest()
            else:
                assert decoded == canonical_text(name, value)
        assert set(parsed.encoded) == set(parameters)


@hypothesis_settings
@given(mappings)
def test_keys_are_bounded_and_tags_are_glob_free(parameters):
    """A 100 kB username must not become a 100 kB key, nor smuggle glob syntax into SCAN."""
    key = keys.client_key(PREFIX, parameters)
    assert len(key) <= KEY_BOUND
    assert key.isascii()
    head = f"{PREFIX}:{keys.KIND_CLIENT}:{{"
    assert key.startswith(head)
    assert key.endswith("}")
    inner = key[len(head) : -1]
    assert not GLOB_OR_SPACE.search(inner), inner
    fields = inner.split("|")
    assert [field.partition("=")[0] for field in fields] == sorted(parameters)
    for field in fields:
        assert field.count("=") == 1
        assert ENCODED_VALUE.fullmatch(field.partition("=")[2])


def test_three_huge_values_give_a_short_key():
    """Three 100 kB values must still give a key of bounded length (memory DoS)."""
    huge = {
        "ip_address": "1" * 100_000,
        "user_agent": "\ud800" * 100_000,
        "username": "*" * 100_000,
    }
    key = keys.client_key(PREFIX, huge)
    assert len(key) <= KEY_BOUND
    assert KEY_BOUND < 850
    assert keys.client_key(PREFIX, {**huge, "username": "*" * 99_999}) != key


def test_digest_boundary_and_literal_digest_lookalike():
    """A username spelled like a digest must not share the counter of the value it hashes."""
    at_limit = "a" * keys.MAX_ENCODED_VALUE
    over_limit = "a" * (keys.MAX_ENCODED_VALUE + 1)
    assert keys.encode_value("username", at_limit) == at_limit
    digest = keys.encode_value("username", over_limit)
    assert digest == "#" + hashlib.sha256(over_limit.encode()).hexdigest()
    # 42 x "é" encodes to 252 characters, 43 x to 258: the limit counts encoded characters.
    assert not keys.encode_value("username", "é" * 42).startswith("#")
    assert keys.encode_value("username", "é" * 43).startswith("#")

    lookalike = {"username": digest}
    assert keys.client_key(PREFIX, lookalike) != keys.client_key(PREFIX, {"username": over_limit})
    parsed = keys.parse_key(PREFIX, keys.client_key(PREFIX, lookalike))
    assert parsed is not None
    assert parsed.parameters == lookalike


# --- explicit cases ----------------------------------------------------------------


AXES_COLLISIONS = [
    ({"username": "alice1.2.3.4"}, {"username": "alice", "ip_address": "1.2.3.4"}),
    (
        {"username": "user1", "ip_address": "11.2.3.4"},
        {"username": "user11", "ip_address": "1.2.3.4"},
    ),
    ({"username": "a", "user_agent": "b"}, {"username": "ab"}),
    ({"username": "x"}, {"user_agent": "x"}),
]
SCHEMA_LOOKALIKES = [
    ({"username": "a|ip_address=b"}, {"username": "a", "ip_address": "b"}),
    ({"username": "a}|{ip_address=b"}, {"username": "a", "ip_address": "b"}),
    ({"username": "a%7Cip_address%3Db"}, {"username": "a|ip_address=b"}),
    ({"user_agent": "x|username=y"}, {"user_agent": "x", "username": "y"}),
]


@pytest.mark.parametrize(("first", "second"), AXES_COLLISIONS)
def test_django_axes_concatenation_collisions_are_distinct(first, second):
    """django-axes' concatenated cache key lets "alice1.2.3.4" share alice@1.2.3.4's counter."""
    # The collision really exists in django-axes' own cache key scheme ...
    assert make_cache_key_list([first]) == make_cache_key_list([second])
    # ... and does not in ours.
    assert keys.client_key(PREFIX, first) != keys.client_key(PREFIX, second)


@pytest.mark.parametrize(("first", "second"), SCHEMA_LOOKALIKES)
def test_values_spelling_our_separators_stay_distinct(first, second):
    """A username written in our own key syntax must not impersonate a parameter combination."""
    assert keys.client_key(PREFIX, first) != keys.client_key(PREFIX, second)


@pytest.mark.parametrize("group", EQUIVALENT_IPS)
def test_ip_spellings_share_one_key(group):
    """An attacker must not get a fresh counter by respelling the same IP address."""
    assert len({keys.client_key(PREFIX, {"ip_address": ip}) for ip in group}) == 1
    assert len({keys.client_key(PREFIX, {"ip_address": ip, "username": "u"}) for ip in group}) == 1
    assert len({keys.parameter_pattern(PREFIX, "ip_address", ip) for ip in group}) == 1


octet_spellings = st.one_of(
    st.integers(0, 300).map(str),
    st.integers(0, 300).map(lambda n: f"0{n}"),
    st.sampled_from(["", "-1", "+1", "1 ", "\u0661", "0x1"]),
)


padding = st.sampled_from(["", " ", "\n", "\t"])


@given(
    st.lists(octet_spellings, min_size=3, max_size=5),
    st.sampled_from([".", ":", "\n"]),
    padding,
    padding,
)
def test_canonical_ip_fast_path_agrees_with_ipaddress(parts, sep, before, after):
    """The IPv4 shortcut must never keep a spelling that ``ipaddress`` would rewrite
    (a leading zero, an out-of-range octet, a Unicode digit, surrounding whitespace),
    or one respelling could open a fresh counter."""
    value = before + sep.join(parts) + after
    assert keys.canonical_ip(value) == keys.parsed_ip(value)


@given(st.text(alphabet=st.sampled_from([*"aZ09_.-~@:+/", "%", " ", "|", "\n", "é", "\ud800"])))
def test_safe_text_shortcut_is_quote(text):
    """Text left as is because every character is safe must be exactly what
    ``quote`` would write: otherwise one username could have two keys."""
    if len(text) <= keys.MAX_ENCODED_VALUE:
        assert keys.encode_value("username", text) == quote(
            text, safe="@:+/", errors="surrogatepass"
        )


def test_safe_text_shortcut_covers_no_character_quote_escapes():
    """Every code point the shortcut passes through, ``quote`` passes through too."""
    passed = [chr(c) for c in range(0x110000) if keys._ALL_SAFE.fullmatch(chr(c))]
    assert "".join(passed) == quote("".join(passed), safe="@:+/", errors="surrogatepass")


def test_canonical_ip_values():
    """IPv4-mapped IPv6 and IPv6 spellings collapse; near-miss addresses stay apart."""
    assert keys.canonical_ip("::ffff:1.2.3.4") == "1.2.3.4"
    assert keys.canonical_ip("2001:0db8:0:0:0:0:0:1") == "2001:db8::1"
    assert keys.canonical_ip("1.2.3.40") == "1.2.3.40"
    assert keys.canonical_ip("not an ip") == "not an ip"
    assert keys.client_key(PREFIX, {"ip_address": "1.2.3.4"}) != keys.client_key(
        PREFIX, {"ip_address": "1.2.3.40"}
    )
    # Only IPs are canonicalised: a username that looks like an address stays literal.
    assert keys.client_key(PREFIX, {"username": "::ffff:1.2.3.4"}) != keys.client_key(
        PREFIX, {"username": "1.2.3.4"}
    )


def test_none_and_empty_are_one_client():
    """Omitting the username field must not open a second counter next to username=""."""
    assert keys.client_key(PREFIX, {"username": None}) == keys.client_key(PREFIX, {"username": ""})
    assert keys.client_key(PREFIX, {"username": None}) != keys.client_key(
        PREFIX, {"username": "None"}
    )


@pytest.mark.parametrize(
    "parameters",
    [{"password": "x"}, {"username": "a", "path_info": "/"}, {"Username": "a"}, {}],
)
def test_unknown_or_missing_parameters_are_refused(parameters):
    """A misspelt lockout parameter must fail loudly, not silently track nothing."""
    with pytest.raises(ValueError, match="parameter"):
        keys.client_key(PREFIX, parameters)


def test_parameter_pattern_refuses_unknown_names():
    """A reset must not build a pattern for a name that never appears in keys."""
    with pytest.raises(ValueError, match="path_info"):
        keys.parameter_pattern(PREFIX, "path_info", "/")


@pytest.mark.parametrize(
    "key",
    [
        "other:client:{username=a}",
        "axesX:client:{username=a}",
        "axes",
        "axes:client",
        "axes:client:",
        "axes:client:{}",
        "axes:client:{username}",
        "axes:client:{password=x}",
        "axes:client:{username=a|username=b}",
        "axes:client:username=a",
        "axes:staging:client:{username=a}",
        "axes:x:{username=a}",
        "axes:lock:{ip_address=203.0.113.9}",
    ],
)
def test_parse_key_rejects_foreign_keys(key):
    """A reset must never count or decode a key that is not ours."""
    assert keys.parse_key(PREFIX, key) is None


def test_glob_escape_escapes_every_metacharacter():
    """django-redis' glob_escape misses \\ and ]; ours must escape all five."""
    assert keys.glob_escape("a*b?c[d]e\\f") == "a\\*b\\?c\\[d\\]e\\\\f"
    assert keys.glob_escape("plain:text-1.2") == "plain:text-1.2"


# --- exactness against the real Redis ------------------------------------------------

USERNAMES = [
    "alice",
    "alice2",
    "malice",
    "Alice",
    "ali",
    "ali*",
    "ali?e",
    "[a]lice",
    "a\\lice",
    "alice|ip",
    "alice|ip_address=1.2.3.4",
    "alice}",
    "{alice",
    "alice=",
    "al%69ce",
    "ali%2A",
    "",
    "alice ",
    " alice",
    "alice\n",
    "*",
    "?",
    "\\",
    "[",
    "]",
    "ali\ud800",
    "a" * 300,
    "a" * 301,
]
SCAN_IPS = ["1.2.3.4", "1.2.3.40"]


def _client_sets(username: str) -> list[dict[str, object]]:
    sets: list[dict[str, object]] = [{"username": username, "ip_address": ip} for ip in SCAN_IPS]
    sets.append({"username": username})
    sets.append({"username": username, "user_agent": f"username={username}"})
    return sets


def test_parameter_pattern_matches_exactly_one_username(redis_db):
    """A reset of "alice" must not reach alice2, malice, ali* or a spoofing user agent."""
    owned: dict[str, set[str]] = {}
    for username in USERNAMES:
        owned[username] = {keys.client_key(PREFIX, p) for p in _client_sets(username)}
    spoofers = {
        keys.client_key(PREFIX, {"user_agent": f"x|username={username}}}"})
        for username in USERNAMES
    }
    for key in set().union(*owned.values(), spoofers):
        redis_db.hset(key, "fails", 1)

    for username in USERNAMES:
        found = key_set(redis_db, keys.parameter_pattern(PREFIX, "username", username))
        assert found == owned[username], username

    by_ip = key_set(redis_db, keys.parameter_pattern(PREFIX, "ip_address", "::ffff:1.2.3.4"))
    assert by_ip == {
        keys.client_key(PREFIX, {"username": u, "ip_address": "1.2.3.4"}) for u in USERNAMES
    }


@pytest.mark.parametrize("prefix", ["a*x", "a?x", "[ax]", "a\\x", "a:b"])
def test_prefix_patterns_never_leave_the_prefix(redis_db, prefix):
    """A prefix holding glob characters must not widen a reset to other applications' keys."""
    own = {
        keys.client_key(prefix, {"username": "alice"}),
        keys.client_key(prefix, {"username": "alice", "ip_address": "1.2.3.4"}),
        keys.client_key(prefix, {"username": "bob"}),
    }
    tail = ":client:{username=alice}"
    foreign = {
        prefix,
        prefix + "X" + tail,
        "X" + prefix + tail,
        "other:" + prefix + tail,
        "abx" + tail,
        "aXx" + tail,
        "axx" + tail,
        "a**x" + tail,
        "a" + tail,
        "x" + tail,
        "ab:x" + tail,
        "axes" + tail,
        prefix.upper() + "Y" + tail,
        prefix[:-1] + tail,
        prefix + "client:{username=alice}",
    } - own
    assert not any(key.startswith(prefix + ":") for key in foreign)
    for key in own | foreign:
        redis_db.set(key, 1)

    assert key_set(redis_db, keys.prefix_pattern(prefix)) == own
    assert key_set(redis_db, keys.clients_pattern(prefix)) == own
    assert key_set(redis_db, keys.parameter_pattern(prefix, "username", "alice")) == {
        keys.client_key(prefix, {"username": "alice"}),
        keys.client_key(prefix, {"username": "alice", "ip_address": "1.2.3.4"}),
    }


def test_glob_escape_is_exact_in_redis(redis_db):
    """Every escaped name must match itself in Redis and nothing else."""
    names = ["a*b", "axb", "a\\*b", "a?b", "[ab]", "a", "b", "\\", "a]b", "a[b", "a\\b", "ab"]
    for name in names:
        redis_db.set(name, 1)
    for name in names:
        assert key_set(redis_db, keys.glob_escape(name)) == {name}, name


@redis_hypothesis_settings
@given(
    prefix=st.text(
        alphabet=st.sampled_from("ab:*?[]\\^-!{}x "),
        min_size=1,
        max_size=6,
    )
)
def test_prefix_pattern_is_exact_for_any_prefix(redis_db, prefix):
    """Whatever prefix an operator picks, our SCAN pattern stays inside it."""
    redis_db.flushdb()
    own = {keys.client_key(prefix, {"username": "u"}), prefix + ":other"}
    candidates = {
        prefix,
        prefix + "x:k",
        "x" + prefix + ":k",
        prefix[:-1] + ":k",
        prefix[1:] + ":k",
        prefix.replace("*", "x").replace("?", "x") + ":k",
        prefix.replace("[", "x").replace("\\", "x") + ":k",
        "ab:k",
        "a:k",
    }
    for key in own | candidates:
        redis_db.set(key, 1)
    expected = {key for key in own | candidates if key.startswith(prefix + ":")}
    assert key_set(redis_db, keys.prefix_pattern(prefix)) == expected
    assert key_set(redis_db, keys.clients_pattern(prefix)) == {
        key for key in expected if key.startswith(f"{prefix}:{keys.KIND_CLIENT}:")
    }


usernames = st.one_of(st.sampled_from(USERNAMES), short_text, long_text)


@redis_hypothesis_settings
@given(
    first=usernames,
    second=usernames,
    first_failures=st.integers(min_value=1, max_value=3),
    second_failures=st.integers(min_value=1, max_value=3),
)
def test_counters_of_two_usernames_never_touch(
    redis_db, first, second, first_failures, second_failures
):
    """A failure recorded for one username must never move another username's counter."""
    redis_db.flushdb()
    if keys.encode_value("username", first) == keys.encode_value("username", second):
        second = second + "x"
    store = AttemptStore(redis_db, PREFIX)
    key_sets = {}
    for username, count in ((first, first_failures), (second, second_failures)):
        client_keys = [
            keys.client_key(PREFIX, {"username": username}),
            keys.client_key(PREFIX, {"username": username, "ip_address": "1.2.3.4"}),
        ]
        key_sets[username] = set(client_keys)
        for _ in range(count):
            store.record_failure(
                client_keys,
                cooloff=timedelta(minutes=5),
                limit=100,
                lock_out=True,
                metadata={"username": username, "ip_address": "1.2.3.4"},
            )

    assert key_sets[first].isdisjoint(key_sets[second])
    for username, count in ((first, first_failures), (second, second_failures)):
        assert store.failures(sorted(key_sets[username])) == count
        for key in key_sets[username]:
            assert int(redis_db.hget(key, "fails")) == count
        pattern = keys.parameter_pattern(PREFIX, "username", username)
        assert set(store.scan(pattern)) == key_sets[username]
