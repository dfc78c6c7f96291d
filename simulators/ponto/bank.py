"""The bank side and the synchronization lifecycle.

New or updated transactions wait in a per-account bank queue and only become
visible through the API after a *successful* ``accountTransactions`` (or
``accountTransactionsWithUnsettled``) synchronization; balances follow the bank
on any successful synchronization.
"""

import datetime as _dt
import math
import random
from decimal import Decimal

from . import txgen
from .jsonapi import ApiError, validation
from .state import Sync
from .util import brussels_offset_hours, iso, sim_uuid

SUBTYPES = ("accountDetails", "accountTransactions", "accountTransactionsWithUnsettled")
RECENTLY_SYNCHRONIZED = (
    "This type of synchronization was already created recently for the "
    "account. Try again later or on the Dashboard."
)
ERROR_DETAILS = {
    "authorizationExpired": (
        "The authorization has expired, you should ask the customer to "
        "reauthorize the account"
    ),
    "authorizationInvalid": (
        "The authorization is invalid, you should ask the customer to "
        "reauthorize the account"
    ),
    "financialInstitutionMaintenance": (
        "The financial institution is under maintenance, try again later"
    ),
}


def create_sync(sim, integration, account, subtype, customer_ip):
    store, now = sim.store, sim.now()
    if subtype not in SUBTYPES:
        raise validation(
            "subtype", "subtype must be one of {}".format(", ".join(SUBTYPES))
        )
    same_account = [
        s
        for s in store.syncs.values()
        if s.account_id == account.id and not getattr(s, "seeded", False)
    ]
    window = sim.resync_window_s
    if window and any(
        s.subtype == subtype and (now - s.created_at).total_seconds() < window
        for s in same_account
    ):
        raise ApiError(400, "accountRecentlySynchronized", RECENTLY_SYNCHRONIZED)
    if not customer_ip:
        if sim.strict_customer_ip:
            raise validation("customerIpAddress", "customerIpAddress is required")
        # Unattended access (no customerIpAddress): PSD2 allows 4 per 24 h per account,
        # counted over all subtypes.  [U] status/code of the refusal: 429
        # tooManyRequests with Retry-After = seconds until the oldest of the last
        # `unattended_quota` unattended synchronizations leaves the window.
        span = sim.unattended_window_s
        recent = sorted(
            s.created_at
            for s in same_account
            if s.unattended and (now - s.created_at).total_seconds() < span
        )
        quota = sim.unattended_quota
        if quota is not None and len(recent) >= quota:
            # quota 0 (every unattended access refused): retry after a window
            oldest = recent[len(recent) - quota] if quota > 0 else now
            retry = max(1, math.ceil(span - (now - oldest).total_seconds()))
            raise ApiError(
                429,
                "tooManyRequests",
                f"Unattended synchronization quota ({quota} per 24 hours) exceeded "
                "for this account. Provide customerIpAddress or try again later.",
                {"retryAfter": retry},
                {"Retry-After": str(retry)},
            )
    sync = Sync(
        sim_uuid("synchronization", sim.seed, store.next()),
        account.id,
        subtype,
        now,
        customer_ip,
        integration.id,
    )
    sync.polls_left = sim.sync_polls
    if account.id in sim.stuck_syncs:  # fault sync_stuck: never ends
        sim.stuck_syncs.discard(account.id)
        sync.polls_left = math.inf
    if account.id in sim.next_sync_errors:
        sync.forced_error = sim.next_sync_errors.pop(account.id)
    store.syncs[sync.id] = sync
    account.latest_sync_id = sync.id
    if subtype != "accountDetails":
        account.latest_tx_sync_id = sync.id
    if sync.polls_left <= 0:
        finish(sim, sync)
    return sync


def scheduled_sync(sim, account):
    """Ponto's own synchronization of the account (it refreshes every account
    about four times a day [V: KA-02521]): books the bank queue the way a
    client's synchronization does. [U] whether it counts in a client's resync
    window or unattended quota: here it does not."""
    sync = Sync(
        sim_uuid("synchronization", "scheduled", sim.seed, sim.store.next()),
        account.id,
        "accountTransactions",
        sim.now(),
        None,
        None,
    )
    sync.seeded = True  # not the client's: outside its window and quota
    sim.store.syncs[sync.id] = sync
    account.latest_sync_id = account.latest_tx_sync_id = sync.id
    finish(sim, sync)
    return sync


def poll(sim, sync):
    """Each GET moves the synchronization one step: pending -> running -> final."""
    if sync.status in ("success", "error"):
        return
    sync.polls_left -= 1
    if sync.polls_left <= 0:
        finish(sim, sync)
    else:
        sync.status = "running"
        sync.updated_at = sim.now()


def finish(sim, sync):
    now = sim.now()
    account = sim.store.accounts[sync.account_id]
    fi = sim.store.institutions[account.fi_id]
    sync.updated_at = now
    error = sync.forced_error
    if error is None and fi.in_maintenance(now):
        error = (
            sim.maintenance_error_code,
            ERROR_DETAILS["financialInstitutionMaintenance"],
        )
    if error is None and account.expires_at is not None and account.expires_at <= now:
        code = sim.expired_error_code
        error = (code, ERROR_DETAILS.get(code, ERROR_DETAILS["authorizationExpired"]))
    if error is not None:
        sync.status = "error"
        sync.errors = [{"code": error[0], "detail": error[1], "meta": {}}]
        sim.emit_webhook("pontoConnect.synchronization.failed", sync)
        return
    sync.status = "success"
    if account.balance != account.bank_balance:
        account.balance = account.bank_balance
        account.balance_changed_at = iso(now)
    account.balance_reference_at = iso(now)
    account.synchronized_at = now
    if sync.subtype == "accountDetails":
        sim.emit_webhook("pontoConnect.account.detailsUpdated", sync)
        return
    created = account.bank_queue
    account.bank_queue = []
    for txn in created:
        txn.attrs["createdAt"] = txn.attrs["updatedAt"] = iso(now)
        account.transactions.append(txn)
    for tid, changes in account.bank_updates:
        txn = account.find(tid)
        if txn is not None:
            txn.attrs.update(changes)
            txn.attrs["updatedAt"] = iso(now)
            if tid not in sync.updated_tx_ids:
                sync.updated_tx_ids.append(tid)
    account.bank_updates = []
    if sync.subtype == "accountTransactionsWithUnsettled":
        account.pending = list(account.bank_pending)
    if created:
        sim.emit_webhook(
            "pontoConnect.account.transactionsCreated", sync, count=len(created)
        )
    if sync.updated_tx_ids:
        sim.emit_webhook(
            "pontoConnect.account.transactionsUpdated",
            sync,
            count=len(sync.updated_tx_ids),
        )
    if not created and not sync.updated_tx_ids:
        sim.emit_webhook("pontoConnect.synchronization.succeededWithoutChange", sync)


def _coerce(changes):
    out = dict(changes)
    for key in ("amount", "fee"):
        if out.get(key) is not None:
            out[key] = Decimal(str(out[key]))
    return out


def queue_transactions(sim, account, count=1, pending=False):
    """Queue new transactions at the bank (visible after the next successful sync).

    ``count`` is a number of generated transactions, or a list of dicts whose keys
    override generated attributes (a ``kind`` key picks the generator: in_structured,
    out_free, card, debit, fees, in_free, out_structured, interest, ...)."""
    items = [{} for _ in range(count)] if isinstance(count, int) else list(count)
    rng = random.Random(f"{sim.seed}:queue:{account.key}:{account.queue_counter}")
    account.queue_counter += 1
    now = sim.now()
    day = (now + _dt.timedelta(hours=brussels_offset_hours(now.date()))).date()
    out = []
    for overrides in items:
        overrides = dict(overrides)
        attrs = txgen.make_transaction(
            rng, account.spec, day, kind=overrides.pop("kind", None)
        )
        attrs.update(_coerce(overrides))
        attrs["createdAt"] = attrs["updatedAt"] = iso(now)
        txn = account.new_txn(attrs, pending=pending)
        if pending:
            account.bank_pending.append(txn)
        else:
            account.bank_queue.append(txn)
            account.bank_balance += attrs["amount"]
        out.append(txn.id)
    return out


def queue_update(account, tid, changes):
    changes = _coerce(changes)
    for txn in account.bank_queue:
        if txn.id == tid:
            if "amount" in changes:
                account.bank_balance += changes["amount"] - txn.attrs["amount"]
            txn.attrs.update(changes)
            return
    txn = account.find(tid)
    if txn is None:
        raise KeyError(f"unknown transaction {tid}")
    if "amount" in changes:
        account.bank_balance += changes["amount"] - txn.attrs["amount"]
    account.bank_updates.append((tid, changes))


def settle_pending(account, pending_id=None):
    """Move a pending transaction (the oldest by default) to the settled bank queue;
    it gets a new id, as banks book pending items under a new reference [I]."""
    if not account.bank_pending:
        return None
    txn = account.bank_pending[0]
    if pending_id is not None:
        txn = next(t for t in account.bank_pending if t.id == pending_id)
    account.bank_pending.remove(txn)
    settled = account.new_txn(dict(txn.attrs))
    account.bank_queue.append(settled)
    account.bank_balance += settled.attrs["amount"]
    return settled.id


def seed_sync(sim, account):
    """The synchronization Ponto ran before the simulator started (not counted in
    any quota)."""
    sync = Sync(
        sim_uuid("synchronization", "seed", account.key),
        account.id,
        "accountTransactions",
        account.synchronized_at,
        None,
        None,
    )
    sync.status, sync.seeded = "success", True
    sim.store.syncs[sync.id] = sync
    account.latest_sync_id = account.latest_tx_sync_id = sync.id
