"""On SQLite the database refuses DELETE on the audit log (migration 0003), except inside `flush`.

A SQLite trigger cannot tell a deletion of single rows from Django's `flush` (which empties
every table with DELETE, and so does each transactional test). The trigger asks the function
`lifeline_audit_may_erase()`, which Lifeline registers on each of its own SQLite connections
and which answers yes only inside `erasing()`; Lifeline's `flush` command (this app's
management/commands/flush.py) is the only caller. Any other program (the sqlite3 shell,
`lifeline dbshell`) has no such function, so its DELETE fails too.
"""
from contextlib import contextmanager
from contextvars import ContextVar

FUNCTION = "lifeline_audit_may_erase"
_erasing: ContextVar[bool] = ContextVar("lifeline_audit_erasing", default=False)


def register(sender, connection, **kwargs):
    """connection_created receiver: give each new SQLite connection the function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION, 0, lambda: 1 if _erasing.get() else 0)


@contextmanager
def erasing():
    token = _erasing.set(True)
    try:
        yield
    finally:
        _erasing.reset(token)
