"""The per-connection lock: one client of a connection at a time, across
threads, processes and machines sharing the database.

A PostgreSQL session-level advisory lock, held on a connection of its own:
it survives the per-page commits of the scheduler (a transaction-level lock
or a ``FOR UPDATE`` would be released by the first commit), never waits on
the rows the work writes, and dies with the process (a killed worker's lock
is gone with its connection). Re-entrant within a thread.
"""

import threading
import time
from contextlib import contextmanager

from odoo import sql_db

#: first key of ``pg_try_advisory_lock(int, int)`` ("BSNC"); the second is
#: the connection's id
LOCK_CLASS = 0x42534E43
#: between two attempts while waiting for the lock
POLL_INTERVAL = 0.2

_local = threading.local()


def _held():
    if not hasattr(_local, "locks"):
        _local.locks = {}
    return _local.locks


def is_held(dbname, link_id):
    """Whether this thread holds the lock of connection ``link_id``."""
    return (dbname, link_id) in _held()


@contextmanager
def connection_lock(dbname, link_id, wait=0.0):
    """Hold the lock of connection ``link_id`` of database ``dbname``; yields
    whether it was obtained (within ``wait`` seconds)."""
    held = _held()
    key = (dbname, link_id)
    if key in held:
        held[key] += 1
        try:
            yield True
        finally:
            held[key] -= 1
        return
    cr = sql_db.db_connect(dbname).cursor()
    try:
        deadline = time.monotonic() + wait
        while True:
            cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, link_id))
            obtained = cr.fetchone()[0]
            cr.rollback()  # no snapshot kept open; the session lock stays
            if obtained or time.monotonic() >= deadline:
                break
            time.sleep(POLL_INTERVAL)
        if not obtained:
            yield False
            return
        held[key] = 1
        try:
            yield True
        finally:
            del held[key]
            cr.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, link_id))
            cr.rollback()
    finally:
        cr.close()


def is_locked_elsewhere(dbname, link_id):
    """Whether another session holds the lock (a client of the connection is
    at work there), without waiting and without taking it."""
    if is_held(dbname, link_id):
        return False
    with connection_lock(dbname, link_id) as obtained:
        return not obtained
