"""The banks behind the providers: their accounts, what they have booked
(posted), what they have not booked yet (pending) and their balances.

Salt Edge sees a bank only through a connection's fetch (:mod:`.fetch`): what
is added here appears in the API at the next connect, reconnect or refresh.
Bank transactions are immutable (a change is a new object), so a checkpoint
copies the lists, not the rows.
"""

import dataclasses
import datetime as _dt
import random
from decimal import Decimal

from . import txgen


@dataclasses.dataclass(frozen=True)
class BankTxn:
    key: str  # unique at the bank: "<account key>/<n>", ".../added/<n>"...
    made_on: _dt.date
    posting_date: _dt.date
    amount: Decimal
    currency: str
    description: str
    mode: str = "normal"  # normal | fee | transfer
    category: str = "uncategorized"
    counterpart_name: str | None = None
    counterpart_iban: str | None = None
    information: str | None = None
    additional: str | None = None
    end_to_end_id: str | None = None
    bank_id: str | None = None
    duplicated: bool = False  # the bank reported it twice; this is the copy
    balance_after: Decimal | None = None

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def __deepcopy__(self, memo):  # immutable: shared by every copy of the world
        return self


class BankAccount:
    def __init__(self, spec, seed, anchor, sibling_iban=None):
        self.spec, self.key, self.seed = spec, spec["key"], seed
        self.provider = spec["provider"]
        self.sibling_iban = sibling_iban
        history = txgen.history(seed, spec, anchor, sibling_iban)
        self.posted = with_balances(history, spec["opening"])
        self.pending = [BankTxn(**f) for f in txgen.pending(seed, spec, anchor)]
        self.added = 0  # transactions added by the simulator's operations

    @property
    def balance(self):
        return self.posted[-1].balance_after if self.posted else self.opening

    @property
    def opening(self):
        return self.spec["opening"]

    def add(self, day, count=1, rows=None, pending=False):
        """New transactions made on ``day``: ``count`` generated ones, or
        ``rows`` (dicts of :class:`BankTxn` fields: ``amount`` and
        ``description`` at least). Returns them."""
        made = []
        for n in range(len(rows) if rows else count):
            self.added += 1
            kind = "added-pending" if pending else "added"
            key = f"{self.key}/{kind}/{self.added}"  # apart from the history's
            if rows:
                fields = dict(rows[n])
                fields["amount"] = Decimal(str(fields["amount"]))
                fields.setdefault("made_on", day)
                fields.setdefault("posting_date", fields["made_on"])
                fields.setdefault("currency", self.spec["currency"])
                made.append(BankTxn(key=key, **fields))
            else:
                rng = random.Random(f"{self.seed}:added:{key}")
                fields = txgen.make(rng, self.spec, day, key, self.sibling_iban)
                made.append(BankTxn(**fields))
        if pending:
            self.pending.extend(made)
            return made
        booked = with_balances(made, self.balance)
        self.posted.extend(booked)
        return booked

    def settle(self, keys=None):
        """Pending transactions become posted (all, or those of ``keys``)."""
        moving = [t for t in self.pending if keys is None or t.key in keys]
        self.pending = [t for t in self.pending if t not in moving]
        booked = with_balances(
            [t.replace(key=t.key.replace("/pending/", "/settled/")) for t in moving],
            self.balance,
        )
        self.posted.extend(booked)
        return booked


def with_balances(rows, start):
    """Bank transactions (or their field dicts) with ``balance_after`` set, in
    order from ``start`` (a duplicated copy does not move the balance)."""
    out, balance = [], start
    for row in rows:
        row = row if isinstance(row, BankTxn) else BankTxn(**row)
        if not row.duplicated:
            balance += row.amount
        out.append(row.replace(balance_after=balance))
    return out
