"""Salt Edge's ascending transaction list → our newest-first pages.

The engine (``models/bank_sync_import.py``, ``_read_pages``) reads pages
NEWEST FIRST: it stops before ``stop_at_id`` (the cursor: the newest id
already imported), resumes below ``after_id`` (the last id of the last page
it committed), and commits each page with its ``last_id`` as the resume
position; the first page's ``first_id`` becomes the next cursor.

Salt Edge lists ``GET /transactions`` ASCENDING by id, from ``from_id`` on,
following ``meta.next_id`` [V]; ids grow over time [I]. So the client:

1. reads forward from ``from_id=stop_at_id`` (from the start when there is no
   cursor) to the end, or until an id reaches ``after_id`` (ascending: all
   later ones are above it too); ``from_id`` inclusive or not [I], both work;
2. keeps the window ``stop_at_id < id < after_id`` (ids compared as integers,
   :func:`.saltedge_decode.id_key`);
3. sorts it descending and cuts it in pages of ``page_size``; each page's
   ``first_id``/``last_id`` are its highest/lowest ids *including* the rows it
   leaves out (``duplicated``, ``pending``, dated before ``since``), so the
   cursor and the resume position move over them;
4. leaves out ``duplicated`` [C] and ``pending`` rows (never imported; the
   list without ``pending=true`` should hold none [I]) before decoding them,
   then decodes each row: one that does not decode becomes a
   :class:`RefusedTransaction` of its page (never an error of the page).

Reading everything before yielding costs memory (the transactions newer than
the cursor; on a first import, the history Salt Edge has, at most the
provider's ``max_fetch_interval``), never correctness: a crash between pages
resumes with ``after_id``.
"""

from .base import RefusedTransaction, TransactionPage
from .errors import InvalidResponse
from .saltedge_decode import id_key, jsonable, transaction

PAGE_SIZE = 100


def row_id(row):
    """The id of a listed row; a row without one spoils the list."""
    value = row.get("id") if isinstance(row, dict) else None
    if value in (None, "") or not isinstance(value, str | int):
        raise InvalidResponse("Salt Edge's transaction has no id")
    return str(value)


def in_window(key, stop_key=None, after_key=None):
    return (stop_key is None or key > stop_key) and (
        after_key is None or key < after_key
    )


def skipped(row):
    """Rows never imported: Salt Edge's duplicates, and pending ones."""
    return bool(row.get("duplicated")) or row.get("status") == "pending"


def decode_row(row, time_zone=None, since=None):
    """A row → a :class:`Transaction`, a :class:`RefusedTransaction`, or
    ``None`` (left out: duplicated, pending, dated before ``since``)."""
    if skipped(row):
        return None
    try:
        tx = transaction(row, time_zone)
    except InvalidResponse as exc:
        return RefusedTransaction(id=row_id(row), reason=exc.message, raw=jsonable(row))
    if since and tx.date and tx.date < since:
        return None
    return tx


def newest_first(rows, *, stop_at_id=None, after_id=None):
    """The rows of the window ``stop_at_id < id < after_id``, highest id first
    (each id once: the first seen wins)."""
    stop_key = id_key(stop_at_id) if stop_at_id else None
    after_key = id_key(after_id) if after_id else None
    kept = {}
    for row in rows:
        rid = row_id(row)
        key = id_key(rid)
        if in_window(key, stop_key, after_key) and key not in kept:
            kept[key] = row
    return [kept[key] for key in sorted(kept, reverse=True)]


def pages(rows, *, time_zone=None, since=None, page_size=PAGE_SIZE):
    """Cut ``rows`` (already newest first) into :class:`TransactionPage`."""
    size = max(1, int(page_size))
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        items = [decode_row(row, time_zone, since) for row in chunk]
        yield TransactionPage(
            [item for item in items if item is not None],
            first_id=row_id(chunk[0]),
            last_id=row_id(chunk[-1]),
        )
