"""The ``axes_redis`` management command's subcommands, one module each.

The command itself (``management/commands/axes_redis.py``) only builds the parser
and dispatches; each module here adds its subparser (``add_parser``) and runs it
(``run``). They live outside ``management/commands/`` because Django takes every
module there for a command of its own.
"""
