"""Refresh at the bank for :class:`.saltedge.SaltEdgeClient`.

A refresh is per Salt Edge *connection* (every account of one bank login):
``POST /connections/{id}/refresh`` [V] starts an attempt that runs in the
background; the connection's ``last_attempt`` says when it is ``finished`` and
how (``success_at``, or ``fail_at`` with ``fail_error_class``) [C]. The client
refreshes once per instance: the engine asks for each account in turn, and
later accounts of the connection reuse the first outcome (status or error).

Refusals [C]: before ``next_refresh_possible_at`` (the provider's
``refresh_timeout``) ``ConnectionCannotBeRefreshed`` → RecentlySynchronized,
saying when; the PSD2 limit of 4 background refreshes a day
``BackgroundFetchLimitExceeded`` → RateLimited (``retry_after`` from
``Retry-After``, else ``next_refresh_possible_at`` when it is later, else an
hour). The request is not even sent before ``next_refresh_possible_at``
(honouring ``refresh_timeout`` is a go-live rule [V]).
"""

import contextlib
import time
from dataclasses import replace

from . import saltedge_decode as decode
from .errors import (
    BankSyncError,
    RateLimited,
    RecentlySynchronized,
    SynchronizationFailed,
    TemporaryError,
)
from .saltedge_connect import SCOPES, segment
from .saltedge_errors import error_for_class

#: when a refused refresh says nothing of when to try again (the daily limit
#: counts over a rolling 24 h whose refreshes the client does not see): an hour
LIMITED_RETRY_AFTER = 3600


class SaltEdgeRefresh:
    """Mixin: needs ``call``, ``get_connection``, ``_now``, ``_sleep``,
    ``sync_poll_interval``, ``sync_poll_timeout`` and ``_refresh`` (the
    outcome of this instance's refresh, ``None`` before it) of the client."""

    def synchronize(self, account_id, *, customer_ip_address=None):
        """Refresh the account's connection from the bank, once per instance.

        Returns the final :class:`SyncStatus` on success. The engine keys on
        exceptions (it ignores the returned status), so an attempt that
        *failed* raises its mapped error (consent classes: ConsentExpired;
        unknown ones: SynchronizationFailed), and one still running after
        ``sync_poll_timeout`` raises :class:`TemporaryError` (the import then
        reads what Salt Edge already has). :meth:`refresh_connection` gives
        the status without raising. ``customer_ip_address`` has no v6
        equivalent that is known [I]."""
        if self._refresh is None:
            try:
                self._refresh = self.refresh_connection()
            except BankSyncError as exc:
                self._refresh = exc
        outcome = self._refresh
        if isinstance(outcome, BankSyncError):
            raise outcome
        if outcome.status == "error":
            problem = outcome.errors[0] if outcome.errors else {}
            error = error_for_class(problem.get("code"), detail=problem.get("detail"))
            if type(error) is BankSyncError:
                error = SynchronizationFailed(
                    "Salt Edge could not refresh the connection from the bank.",
                    code=error.code,
                    errors=error.errors,
                )
            raise error
        if outcome.status != "success":
            raise TemporaryError(
                "Salt Edge is still refreshing the connection (no final answer "
                f"within {self.sync_poll_timeout:g} s)"
            )
        return replace(outcome, account_id=str(account_id))

    def refresh_connection(self):
        """``POST /connections/{id}/refresh`` [V], then poll the connection
        until its ``last_attempt.finished``; returns the :class:`SyncStatus`
        (``running`` when ``sync_poll_timeout`` ran out). Not sent before
        ``next_refresh_possible_at`` (the provider's ``refresh_timeout``, a
        go-live rule): raises :class:`RecentlySynchronized` saying when; an
        attempt still running (the widget's first fetch) is waited for."""
        conn = self.get_connection()
        last = conn.last_attempt
        if last and not last.finished:
            return self._wait(conn, last.id, running=True)
        now = self._now()
        if conn.next_refresh_possible_at and conn.next_refresh_possible_at > now:
            raise self._too_early(conn, None)
        try:
            body = self.call(
                "POST",
                f"connections/{segment(conn.id)}/refresh",
                data={"attempt": {"fetch_scopes": list(SCOPES)}},
            )
        except RecentlySynchronized as exc:
            raise self._too_early(conn, exc) from None
        except RateLimited as exc:
            if exc.retry_after is None:
                exc.retry_after = (
                    self._seconds_to_next_refresh(conn) or LIMITED_RETRY_AFTER
                )
            raise
        data = decode.data_object(body, "refresh")
        # [I] the answer is the connection; without its id, poll for it
        started = (
            decode.connection(data)
            if data.get("id")
            else conn._replace(last_attempt=None)
        )
        return self._wait(started, last.id if last else None)

    def _seconds_to_next_refresh(self, conn):
        """Seconds until ``next_refresh_possible_at`` as Salt Edge gives it
        after the refusal (read again: the refusal may have moved it)."""
        with contextlib.suppress(BankSyncError):  # else the one read before
            conn = self.get_connection(conn.id)
        when = conn.next_refresh_possible_at
        seconds = (when - self._now()).total_seconds() if when else 0
        return int(seconds) + 1 if seconds > 0 else None

    def _too_early(self, conn, error):
        when = conn.next_refresh_possible_at
        text = "Salt Edge does not refresh this connection yet"
        if when and when > self._now():
            text += f": the next refresh is possible from {when:%Y-%m-%d %H:%M} UTC"
        refusal = RecentlySynchronized(
            f"{text}.",
            code=error.code if error else "ConnectionCannotBeRefreshed",
            status=error.status if error else None,
            errors=error.errors if error else None,
        )
        refusal.retry_at = when  # aware UTC, or None
        return refusal

    def _wait(self, conn, previous_id, running=False):
        """Poll until the connection's last attempt is a finished one that is
        not ``previous_id`` (or was seen running)."""
        deadline = time.monotonic() + (self.sync_poll_timeout or 0)
        while True:
            last = conn.last_attempt
            if last and not last.finished:
                running = True
            elif last and (running or last.id != previous_id):
                self._connection = conn
                return decode.sync_status(conn)
            if time.monotonic() >= deadline:
                return decode.sync_status(conn, running=True)
            self._sleep(self.sync_poll_interval)
            conn = self.get_connection(conn.id)
