"""How the Salt Edge fault campaign's scenarios (``saltedge_fault_scenarios.py``)
act on the Salt Edge simulator, and the extra checks some of them make.
Odoo-free: the simulator's own operations and data only.

An injection is ``inject(sim, ids) -> [what it injected]``; ``ids`` maps the
keys of the stage (accounts "current", "savings", "belfius"; connections
"kbc_connection", "belfius_connection") to the simulator's ids. The scenarios
also use Ponto's ``fault``, ``knobs``, ``bank`` and ``both``
(``fault_injections.py``: the two simulators share their fault book).
What it injected is a fault of the simulator (``sim.add_fault``: ``hits``), or a
:class:`Change` of Salt Edge's or the bank's data: ``hits`` (the run met it),
``affected_ids`` (the transactions it spoiled) and ``undo()``, which the
stage's ``clear`` calls before the clean step.
"""

import dataclasses
from decimal import Decimal

from .fault_injections import fault

TX = "/transactions"
KBC_REFRESH = "/connections/{kbc_connection}/refresh"
BELFIUS_REFRESH = "/connections/{belfius_connection}/refresh"
#: more GETs of the connection than any poll timeout of the campaign
STUCK_POLLS = 1_000_000


class Change:
    """A change of the simulator's data a scenario made (see the docstring)."""

    def __init__(self, name, hits=lambda: True, undo=None, affected_ids=()):
        self.name, self._hits, self._undo = name, hits, undo
        self.affected_ids = set(affected_ids)

    @property
    def hits(self):
        return self._hits()

    def undo(self):
        if self._undo:
            self._undo()
            self._undo = None

    def as_dict(self):
        return {"change": self.name, "affected_ids": sorted(self.affected_ids)}


def txn_of(sim, ref, row):
    """Salt Edge's transaction of the bank's ``row`` (account ``ref``)."""
    with sim.lock:
        return next(t for t in sim.world.accounts[ref].txns if t.bank.key == row.key)


def replace_bank_row(sim, ref, txn_id, row):
    """Salt Edge's transaction ``txn_id`` shows the bank's ``row`` from now on."""
    with sim.lock:
        txns = sim.world.accounts[ref].txns
        at = next(i for i, t in enumerate(txns) if t.id == txn_id)
        txns[at] = dataclasses.replace(txns[at], bank=row)


def refresh_refused(error_class, status=None, **kw):
    """Salt Edge refuses the KBC connection's refresh with ``error_class``."""
    return fault(
        "error", "POST", KBC_REFRESH, status=status, error_class=error_class, **kw
    )


def fetched(*keys):
    """Salt Edge read these banks on its own (its daily background fetch):
    it holds transactions our journals do not have yet (what a refused or
    failed refresh must still let the engine read)."""

    def inject(sim, ids):
        for key in keys:
            sim.add_transactions(ids[key], 1, fetched=True)
        return []

    return inject


KBC_FETCHED = fetched("current", "savings")


def attempt_fails(error_class):
    """The next attempt at Salt Edge (the first connection's refresh) fails
    with ``error_class`` (``sim.fail_next_attempt``)."""

    def inject(sim, ids):
        sim.fail_next_attempt(error_class)
        return [
            Change(
                f"attempt fails with {error_class}",
                hits=lambda: sim.world.next_attempt_failure is None,
                undo=lambda: setattr(sim.world, "next_attempt_failure", None),
            )
        ]

    return inject


def stuck_refresh(sim, ids):
    """Refreshes that never finish (the banks do not answer); when the step
    is over, the banks answer at last and the attempts end."""
    sim.refresh_polls = STUCK_POLLS
    connections = [ids["kbc_connection"], ids["belfius_connection"]]

    def running():
        with sim.lock:
            last = sim.world.connections[connections[0]].last_attempt
            return last is not None and not last.finished

    def undo():
        for connection in connections:
            sim.finish_refresh(connection)

    return [Change("refreshes stuck", hits=running, undo=undo)]


def spoil_amount(key):
    """A new transaction of ``key`` that Salt Edge holds with an amount no
    client reads (``Infinity``); ``undo``: its amount is readable again."""

    def inject(sim, ids):
        ref = ids[key]
        [row] = sim.add_transactions(ref, 1, fetched=True)
        good = txn_of(sim, ref, row)
        replace_bank_row(sim, ref, good.id, good.bank.replace(amount=Decimal("Inf")))
        reads = sim.count("GET", TX)

        return [
            Change(
                f"amount of {good.id} spoiled",
                hits=lambda: sim.count("GET", TX) > reads,
                undo=lambda: replace_bank_row(sim, ref, good.id, good.bank),
                affected_ids={good.id},
            )
        ]

    return inject


def duplicated_later(key):
    """The bank reports an imported transaction of ``key`` again (Salt Edge
    imports the copy marked duplicated), and Salt Edge marks a new
    transaction duplicated: neither is ever booked."""

    def inject(sim, ids):
        ref = ids[key]
        with sim.lock:
            last = sim.world.accounts[ref].txns[-1].bank
        copy = {
            f.name: getattr(last, f.name)
            for f in dataclasses.fields(last)
            if f.name not in ("key", "balance_after")
        }
        sim.add_transactions(ref, transactions=[dict(copy, duplicated=True)])
        [row] = sim.add_transactions(ref, 1, fetched=True)
        sim.mark_duplicated(ref, [txn_of(sim, ref, row).id])
        return []

    return inject


def pending(key, count=2):
    """Salt Edge holds pending transactions of ``key`` (never booked); when
    the step is over, the bank books them (they come back posted, new ids)."""

    def inject(sim, ids):
        ref = ids[key]
        sim.add_pending(ref, count, fetched=True)
        return [
            Change(
                "pending transactions",
                undo=lambda: sim.settle_pending(ref, fetched=True),
            )
        ]

    return inject


def foreign_signing_key(sim, ids):
    """The public key uploaded to Salt Edge is not the one Odoo signs with:
    every signed request is refused (``SignatureNotMatch``)."""
    with open(sim.DEFAULT_PUBLIC_KEY_FILE, "rb") as handle:
        ours = handle.read()
    sim.register_public_key(sim.callback_public_key_pem)
    refused = sim.count(status=401)
    return [
        Change(
            "foreign signing key",
            hits=lambda: sim.count(status=401) > refused,
            undo=lambda: sim.register_public_key(ours),
        )
    ]


def provider_status(code, status):
    """Salt Edge shows the bank ``inactive`` or ``disabled`` (until undone)."""

    def inject(sim, ids):
        sim.set_provider_status(code, status)
        return [
            Change(
                f"{code} {status}",
                undo=lambda: sim.set_provider_status(code, "active"),
            )
        ]

    return inject


# --- checks: check(case, before) after the faulty runs ------------------------


def check_retry_later(seconds):
    """The Retry-After (or the limit's end) seen by the user as the next
    synchronization."""

    def check(case, before):
        case.assert_next_sync_after(case.kbc_link, seconds=seconds - 60)

    return check


def check_one_refresh(case, before):
    """The refresh's answer was lost: the client did not send it again."""
    case.assertEqual(case.refreshes("kbc_connection") - before["refreshes"], 1)


def check_never_booked(case, before):
    """Salt Edge's duplicated and pending transactions are not in any journal."""
    skipped = set()
    with case.sim.lock:
        for account in case.sim.world.accounts.values():
            skipped |= {t.id for t in account.txns if t.duplicated}
    case.assertTrue(skipped, "Salt Edge holds duplicated transactions")
    case.assertFalse(skipped & case.imported_refs(), "a duplicated one booked")
