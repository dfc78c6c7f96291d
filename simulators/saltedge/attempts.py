"""Attempts: a connect or reconnect the user finished in the widget, and the
refreshes a client asks for; what each one fetches from the bank.

- A connect or reconnect grants a new consent (``expires_at`` = now +
  min(``period_days``, ``max_consent_days``)) and imports the accounts and the
  transactions from max(asked ``from_date``, today - ``max_fetch_interval``).
  A reconnect keeps the connection, its accounts and their transaction ids.
- A refresh runs in the background: unfinished for ``refresh_polls`` GETs of
  the connection (or until ``refresh_seconds`` passed), then it imports what
  the bank booked since and succeeds, or fails as a fault said.
- Every attempt that ends sets ``next_refresh_possible_at`` (+
  ``refresh_timeout``) and queues its callbacks: ``success_callbacks`` times
  ``success``, or one ``fail``.
"""

import datetime as _dt

from .errors import NEEDS_USER, SaltEdgeError, consent_class
from .store import Account, Attempt, Connection, Consent, Txn


def fetch_start(provider, requested, today):
    """The first day a fetch imports: the asked ``from_date`` bounded by the
    provider's ``max_fetch_interval``."""
    limit = provider["max_fetch_interval"]
    floor = today - _dt.timedelta(days=limit) if limit else None
    dates = [d for d in (requested, floor) if d is not None]
    return max(dates) if dates else today - _dt.timedelta(days=90)


def grant(sim, conn, provider, consent_request, attempt_request, now):
    """A new active consent for ``conn``."""
    period = consent_request.get("period_days")
    cap = provider["max_consent_days"]
    days = cap if period is None else (period if cap is None else min(period, cap))
    asked = consent_request.get("from_date") or attempt_request.get("from_date")
    consent = Consent(
        sim.world.next_id(),
        conn,
        consent_request.get("scopes") or ["accounts", "transactions"],
        days,
        fetch_start(provider, asked and _dt.date.fromisoformat(asked), now.date()),
        consent_request.get("to_date"),
        now,
    )
    if days is not None:
        consent.expires_at = now + _dt.timedelta(days=days)
    sim.world.consents[consent.id] = consent
    conn.consent_ids.append(consent.id)
    return consent


def import_data(sim, conn, consent, now):
    """Accounts and new posted transactions of the bank, from the consent's
    ``from_date``; balances and pending rows as the bank has them now."""
    world = sim.world
    by_bank = {world.accounts[a].bank_key: world.accounts[a] for a in conn.account_ids}
    banks = world.banks_of(conn.provider_code)
    for bank in banks:  # the accounts first: their ids do not depend on history
        if bank.key not in by_bank:
            by_bank[bank.key] = Account(world.next_id(), conn.id, bank, now)
            world.accounts[by_bank[bank.key].id] = by_bank[bank.key]
            conn.account_ids.append(by_bank[bank.key].id)
    for bank in banks:
        account = by_bank[bank.key]
        if "transactions" in consent.scopes:
            for row in bank.posted:
                if row.made_on >= consent.from_date and row.key not in account.imported:
                    account.imported.add(row.key)
                    account.txns.append(
                        Txn(world.next_id(), account.id, row, now, row.duplicated)
                    )
            account.pending = list(bank.pending)
        account.balance = bank.balance
        account.updated_at = now


def establish(sim, kind, customer, provider, session_data, connection=None, **kw):
    """The end of a widget session the user authorised (or refused:
    ``failure=(class, message)``). Returns the connection (None when a refused
    connect creates none)."""
    now, world = kw.get("now") or sim.now(), sim.world
    failure = kw.get("failure")
    consent_request = session_data.get("consent") or {}
    attempt_request = session_data.get("attempt") or {}
    if connection is None:
        if failure and not sim.failed_connect_creates_connection:
            queue_end(sim, None, customer.id, attempt_request, failure)
            return None
        connection = Connection(world.next_id(), customer, provider, now)
        world.connections[connection.id] = connection
    attempt = Attempt(world.next_id(), kind, None, attempt_request, now, True)
    connection.attempts.append(attempt)
    connection.updated_at = now
    if failure:
        attempt.fail_with = failure
    else:
        consent = grant(
            sim, connection, provider, consent_request, attempt_request, now
        )
        attempt.consent_id = consent.id
        attempt.from_date = consent.from_date.isoformat()
        connection.needs_user = False
    finish(sim, connection, attempt, now)
    return connection


def check_refresh(sim, conn, now):
    """Raise what Salt Edge answers a refresh it refuses."""
    world, prefix = sim.world, sim.consent_error_prefix
    provider = world.providers[conn.provider_code]
    if conn.disabled:
        raise SaltEdgeError("ConnectionDisabled", "The connection is disabled.")
    consent = world.consents.get(conn.last_consent_id)
    status = consent.status(now) if consent else "expired"
    if status == "expired":
        raise SaltEdgeError(
            consent_class(prefix, "Expired"),
            "Refresh is not possible because the consent has expired.",
        )
    if status == "revoked":
        raise SaltEdgeError(
            consent_class(prefix, "Revoked"),
            "Refresh is not possible because the consent has been revoked.",
        )
    if provider["status"] != "active":
        error = "ProviderInactive" if provider["status"] == "inactive" else None
        raise SaltEdgeError(
            error or "ProviderDisabled", f"Provider {provider['code']} is not active."
        )
    attempt = conn.last_attempt
    if attempt is not None and not attempt.finished:
        raise SaltEdgeError(
            "ConnectionAlreadyProcessing", "The connection is being processed."
        )
    if conn.next_refresh_possible_at and now < conn.next_refresh_possible_at:
        raise SaltEdgeError(
            "ConnectionCannotBeRefreshed",
            "The connection cannot be refreshed before "
            f"{conn.next_refresh_possible_at.isoformat()}.",
        )
    limit, window = sim.background_fetch_limit, sim.background_fetch_window_s
    if provider["regulated"] and limit is not None:
        since = now - _dt.timedelta(seconds=window)
        if sum(1 for t in conn.refreshes if t > since) >= limit:
            raise SaltEdgeError(
                "BackgroundFetchLimitExceeded",
                f"Background fetch limit ({limit} times in a 24 hour period) was "
                "exceeded. This restriction applies only to PSD2 providers.",
            )


def start_refresh(sim, conn, request, failure=None):
    """Accept a refresh (after :func:`check_refresh`); returns its attempt."""
    now = sim.now()
    attempt = Attempt(
        sim.world.next_id(), "refresh", conn.last_consent_id, request, now, False
    )
    attempt.custom_fields = dict(conn.last_attempt.custom_fields or {})
    attempt.fail_with, attempt.polls_left = failure, sim.refresh_polls
    attempt.set_stage("fetch_accounts", now)
    conn.attempts.append(attempt)
    conn.refreshes.append(now)
    conn.next_refresh_possible_at = None
    conn.updated_at = now
    if not attempt.polls_left:
        finish(sim, conn, attempt, now)
    return attempt


def poll(sim, conn):
    """A GET of the connection: a running refresh moves one step."""
    attempt = conn.last_attempt
    if attempt is None or attempt.finished:
        return
    if attempt.polls_left > 0:
        attempt.polls_left -= 1
    else:
        finish(sim, conn, attempt, sim.now())


def finish(sim, conn, attempt, now):
    """End an attempt: import and succeed, or fail with ``attempt.fail_with``."""
    if attempt.finished:
        return
    provider = sim.world.providers[conn.provider_code]
    attempt.finished, attempt.updated_at = True, now
    if attempt.fail_with:
        attempt.fail_at = now
        attempt.fail_error_class, attempt.fail_message = attempt.fail_with
        attempt.set_stage("finish", now)
        refused = attempt.kind == "refresh" and attempt.fail_error_class in NEEDS_USER
        if refused or attempt.kind == "connect":
            conn.needs_user = True
    else:
        consent = sim.world.consents[attempt.consent_id]
        import_data(sim, conn, consent, now)
        attempt.success_at = now
        attempt.set_stage("finish", now)
    conn.next_refresh_possible_at = now + _dt.timedelta(
        minutes=provider["refresh_timeout"] or 0
    )
    conn.updated_at = now
    queue_end(sim, conn, conn.customer_id, attempt, attempt.fail_with)


def queue_end(sim, conn, customer_id, attempt, failure):
    """The callbacks that tell an attempt ended."""
    fields = attempt.custom_fields if isinstance(attempt, Attempt) else None
    if fields is None:
        fields = dict(attempt.get("custom_fields") or {})
    data = {
        "connection_id": conn.id if conn else None,
        "customer_id": customer_id,
        "custom_fields": fields,
    }
    if failure:
        data.update(error_class=failure[0], error_message=failure[1])
        sim.queue_callbacks([("fail", data)])
    else:
        data["stage"] = "finish"
        sim.queue_callbacks([("success", data)] * max(1, int(sim.success_callbacks)))
