"""The key schema: the only module that knows how a client becomes a Redis key.

A tracked client is one hash per lockout parameter set::

    axes:client:{ip_address=203.0.113.9|username=alice}

and, only while the parallel guard evaluates one of its passwords, a sorted set of
those guesses beside it, ``axes:inflight:{...}`` with the same tag.

* ``axes`` is ``AXES_REDIS_KEY_PREFIX``; ``client`` is the kind of key.
* Between the braces are the lockout parameters of the set, sorted by name, as
  ``name=value`` joined by ``|``. The braces are a Redis Cluster hash tag, so every
  key of one client (whatever its kind) lands in one slot while different clients
  spread over the cluster.
* Values are percent-encoded (``urllib.parse.quote``): every byte outside
  letters, digits and ``-._~@:+/`` is written ``%XX`` (UTF-8, lone surrogates kept
  with ``surrogatepass``). No encoded value can therefore contain ``|``, ``=``,
  ``{``, ``}``, whitespace or a glob character, which makes the mapping injective
  and every SCAN pattern exact.
* A value whose encoding is longer than ``MAX_ENCODED_VALUE`` is replaced by
  ``#`` + the SHA-256 of its bytes. ``quote`` never emits a bare ``#``, so a digest
  can never equal an encoded literal: keys stay bounded and injective.
* IP addresses are canonicalised first (IPv4-mapped IPv6 becomes IPv4, IPv6 is
  compressed), so two spellings of one address share a counter.
* A missing value (``None``) is stored as the empty string: "no username given"
  is one client, whatever the form omitted.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

PARAMETERS = frozenset({"ip_address", "user_agent", "username"})
"""Lockout parameter names django-axes accepts; anything else is refused."""

KIND_CLIENT = "client"
KIND_INFLIGHT = "inflight"
KINDS = frozenset({KIND_CLIENT, KIND_INFLIGHT})
"""The kinds of per-client key we write: anything else under the prefix is not ours."""
TRAIL = "trail"

FAILURES_FIELD = "fails"
"""The client hash field that holds the failure count, the only field below the limit.

Short on purpose: most tracked clients never lock and are this one field, so its
name is most of the hash's ``listpack``; five bytes or fewer keep that listpack in
a smaller allocator size class than ``failures`` does, for every such client. The
Lua scripts under ``lua/`` spell it too: they cannot import it.
"""

MAX_ENCODED_VALUE = 256
DIGEST_MARK = "#"
_SAFE = "@:+/"
_FIELD_SEP = "|"
_ALL_SAFE = re.compile(r"[A-Za-z0-9_.\-~@:+/]*")
"""Text that ``quote`` with ``_SAFE`` returns unchanged (an IPv4 address, most usernames)."""
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
"""Dotted quads exactly as ``str(IPv4Address(...))`` writes them (no leading zeros)."""


def glob_escape(text: str) -> str:
    """Escape every Redis glob metacharacter.

    django-redis ships a ``glob_escape`` too, but it leaves ``\\`` and ``]``
    unescaped and is an optional dependency here, so the schema owns its own.
    """
    return _GLOB_SPECIAL.sub(r"\\\1", text)


def canonical_ip(value: str) -> str:
    """One spelling per address, so ``::ffff:1.2.3.4`` and ``1.2.3.4`` are one client.

    An address already in canonical IPv4 form, what nearly every request carries,
    is returned without ``ipaddress`` parsing it (some 6 us per failed login).
    """
    if _CANONICAL_IPV4.fullmatch(value):
        return value
    return parsed_ip(value)


def parsed_ip(value: str) -> str:
    """:func:`canonical_ip` the long way, by ``ipaddress``: what the shortcut must agree with."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return value
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def encode_value(name: str, value: object) -> str:
    """Encode one parameter value for use inside a key (see the module docstring)."""
    text = "" if value is None else str(value)
    if name == "ip_address":
        text = canonical_ip(text)
    encoded = text if _ALL_SAFE.fullmatch(text) else quote(text, safe=_SAFE, errors="surrogatepass")
    if len(encoded) > MAX_ENCODED_VALUE:
        raw = text.encode("utf-8", errors="surrogatepass")
        return DIGEST_MARK + hashlib.sha256(raw).hexdigest()
    return encoded


def decode_value(encoded: str) -> str:
    """Inverse of :func:`encode_value` for literal values; digests are returned as is."""
    if encoded.startswith(DIGEST_MARK):
        return encoded
    return unquote(encoded, errors="surrogatepass")


def _check_names(names: Iterable[str]) -> None:
    unknown = set(names) - PARAMETERS
    if unknown:
        raise ValueError(
            f"Unknown lockout parameter(s) {sorted(unknown)}; "
            f"allowed: {', '.join(sorted(PARAMETERS))}"
        )


def _tag(parameters: Mapping[str, object]) -> str:
    if not parameters:
        raise ValueError("A client key needs at least one lockout parameter")
    _check_names(parameters)
    body = _FIELD_SEP.join(
        f"{name}={encode_value(name, parameters[name])}" for name in sorted(parameters)
    )
    return "{" + body + "}"


def client_key(prefix: str, parameters: Mapping[str, object]) -> str:
    """The hash that holds the failures of one lockout parameter set."""
    return f"{prefix}:{KIND_CLIENT}:{_tag(parameters)}"


def inflight_key(prefix: str, client: str) -> str:
    """The sorted set of guesses being evaluated for the client hash ``client``.

    Same tag, so the same Cluster hash slot: one script call sees both. Kept apart
    from the hash so that a guess in flight is never mistaken for a failure.
    """
    return f"{prefix}:{KIND_INFLIGHT}:{client[len(prefix) + len(KIND_CLIENT) + 2 :]}"


def trail_key(prefix: str) -> str:
    """The login trail: one capped stream per site, ``<prefix>:trail``.

    It has no parameter tag, so :func:`parse_key` does not take it for a client
    and no reset (not even "reset everything") deletes it: like django-axes'
    ``AccessLog``, the trail outlives the lockouts it records.
    """
    return f"{prefix}:{TRAIL}"


@dataclass(frozen=True)
class ParsedKey:
    """A key read back from Redis: its kind and its parameters as encoded in the key.

    Comparisons happen on the encoded form (``encode_value`` of the candidate),
    which is exact for digested values too; ``parameters`` decodes for display.
    """

    kind: str
    encoded: dict[str, str]

    @property
    def parameters(self) -> dict[str, str]:
        return {name: decode_value(value) for name, value in self.encoded.items()}

    def has(self, name: str, value: object) -> bool:
        return self.encoded.get(name) == encode_value(name, value)


def names_client(parsed: ParsedKey, given: Mapping[str, object], *, either: bool = False) -> bool:
    """django-axes' reset semantics for one parameter set, given usernames/IPs by name.

    It must hold at least one of the given values; unless ``either`` (django-axes'
    ``ip_or_username``) it must also contradict none: with ``alice`` and an IP,
    ``alice`` alone, the IP alone and ``alice`` at that IP match, ``alice`` at
    another IP does not.
    """
    present = [name for name in given if name in parsed.encoded]
    if either:
        return any(parsed.has(name, given[name]) for name in present)
    return bool(present) and all(parsed.has(name, given[name]) for name in present)


def key_text(key: str | bytes) -> str:
    """A key as Redis returned it (bytes) as text; undecodable bytes survive the round trip."""
    return key.decode("utf-8", errors="surrogateescape") if isinstance(key, bytes) else key


def parse_key(prefix: str, key: str | bytes) -> ParsedKey | None:
    """Read a key of ours back; ``None`` for anything that is not in our schema."""
    key = key_text(key)
    head = f"{prefix}:"
    if not key.startswith(head):
        return None
    kind, sep, tag = key[len(head) :].partition(":")
    if kind not in KINDS or not sep or not (tag.startswith("{") and tag.endswith("}")):
        return None
    if len(tag) < 3:
        return None
    fields: dict[str, str] = {}
    for field in tag[1:-1].split(_FIELD_SEP):
        name, eq, encoded = field.partition("=")
        if not eq or name not in PARAMETERS or name in fields:
            return None
        fields[name] = encoded
    return ParsedKey(kind=kind, encoded=fields)


def prefix_pattern(prefix: str) -> str:
    """SCAN pattern for every key we own, and nothing outside the prefix."""
    return f"{glob_escape(prefix)}:*"


def clients_pattern(prefix: str) -> str:
    """SCAN pattern for every tracked client hash."""
    return f"{glob_escape(prefix)}:{KIND_CLIENT}:*"


def parameter_pattern(prefix: str, name: str, value: object) -> str:
    """SCAN pattern for keys of any kind whose set contains ``name=value`` exactly.

    The value is enclosed by ``[{|]`` and ``[|}]``: an encoded value never holds
    those characters, so ``alice`` cannot match ``alice2`` or ``malice``.
    """
    _check_names([name])
    literal = glob_escape(f"{name}={encode_value(name, value)}")
    return f"{glob_escape(prefix)}:*[{{|]{literal}[|}}]*"
