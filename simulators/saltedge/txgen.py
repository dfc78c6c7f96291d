"""The banks' transactions, deterministic per seed: Ponto's Belgian generator
(structured communications with valid check digits, card payments, direct
debits, bank charges, counterparts with IBANs) read the way a Salt Edge
provider reports it (``made_on``, ``description``, ``extra.payee``...).

Each account's history spans ``spec["days"]`` days before the anchor date, in
date order, with a running balance; ``spec["duplicates"]`` rows are reported
twice by the bank (the second copy is the one Salt Edge marks duplicated)."""

import datetime as _dt
import random
import re

from ..ponto import txgen as ponto_txgen
from ..ponto.util import structured_communication

_MODES = {"fees": "fee", "transfer_in": "transfer", "transfer_out": "transfer"}
_CATEGORIES = {
    "in_structured": "income",
    "in_free": "income",
    "interest": "income",
    "out_structured": "business_services",
    "out_free": "business_services",
    "card": "shopping",
    "debit": "bills_and_utilities",
    "fees": "fees",
    "transfer_in": "transfer",
    "transfer_out": "transfer",
}


def _kind(rng, spec):
    kinds, weights = zip(*ponto_txgen.DEFAULT_WEIGHTS[spec["profile"]], strict=True)
    return rng.choices(kinds, weights)[0]


def _structured(text):
    """A structured communication, always written ``+++xxx/xxxx/xxxxx+++``."""
    digits = re.sub(r"\D", "", text or "")
    return structured_communication(int(digits[:10])) if len(digits) == 12 else text


def make(rng, spec, day, key, sibling_iban=None, kind=None):
    """The fields of one bank transaction (:class:`.bank.BankTxn`) of account
    ``spec`` made on ``day``."""
    kind = kind or _kind(rng, spec)
    a = ponto_txgen.make_transaction(rng, spec, day, kind)
    name, number = a["counterpartName"], a["counterpartReference"]
    if kind in ("transfer_in", "transfer_out"):
        number = sibling_iban or number
    if a["remittanceInformationType"] == "structured":
        comm = _structured(a["remittanceInformation"])
        if spec["structured_in"] == "description":
            description, information = comm, a["description"]
        else:
            description, information = f"{a['description'].upper()} {name}", comm
    else:
        description = a["remittanceInformation"] or a["description"]
        information = a["description"] if description != a["description"] else None
    posting = day + _dt.timedelta(days=1 if rng.random() < 0.2 else 0)
    return {
        "key": key,
        "made_on": day,
        "posting_date": posting,
        "amount": a["amount"],
        "currency": spec["currency"],
        "description": description,
        "mode": _MODES.get(kind, "normal"),
        "category": _CATEGORIES.get(kind, "uncategorized"),
        "counterpart_name": name,
        "counterpart_iban": number,
        "information": information,
        "additional": a["additionalInformation"],
        "end_to_end_id": a["endToEndId"],
        "bank_id": a["internalReference"],
    }


def history(seed, spec, anchor, sibling_iban=None):
    """The account's posted transactions (field dicts), oldest first."""
    rng = random.Random("{}:saltedge:{}".format(seed, spec["key"]))
    days = sorted(
        anchor - _dt.timedelta(days=rng.randint(1, spec["days"]))
        for _ in range(spec["count"])
    )
    rows = [
        make(rng, spec, day, f"{spec['key']}/{n}", sibling_iban)
        for n, day in enumerate(days, 1)
    ]
    for n in sorted(rng.sample(range(len(rows)), spec["duplicates"]), reverse=True):
        twice = dict(rows[n], key=rows[n]["key"] + "/again", duplicated=True)
        rows.insert(n + 1, twice)
    return rows


def pending(seed, spec, anchor):
    """Card payments of today and yesterday the bank has not booked yet."""
    rng = random.Random("{}:saltedge-pending:{}".format(seed, spec["key"]))
    return [
        make(
            rng,
            spec,
            anchor - _dt.timedelta(days=n % 2),
            f"{spec['key']}/pending/{n}",
            kind="card",
        )
        for n in range(spec["pending"])
    ]
