"""Count what our process really sends to Redis: round trips and commands.

A redis-py ``Connection`` subclass installed through the cache's pool options;
it forwards everything to the real server and only keeps tallies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis


@dataclass
class Tally:
    round_trips: int = 0
    commands: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.round_trips = 0
        self.commands.clear()


TALLY = Tally()


def _name(args: tuple[Any, ...]) -> str:
    first = args[0]
    return (first.decode() if isinstance(first, bytes) else str(first)).split()[0].upper()


class CountingConnection(redis.Connection):
    def send_command(self, *args: Any, **kwargs: Any) -> None:
        TALLY.commands.append(_name(args))
        super().send_command(*args, **kwargs)

    def pack_commands(self, commands: Any) -> Any:
        TALLY.commands.extend(_name(tuple(c)) for c in commands)
        return super().pack_commands(commands)

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        TALLY.round_trips += 1
        super().send_packed_command(command, check_health)
