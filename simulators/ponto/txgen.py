"""Transaction generator: realistic Belgian bank transactions (structured
communications with valid check digits, card payments with fees, direct debits,
bank charges without counterpart, value dates after execution dates, date-times
of varying precision) in bank-creation order."""

import datetime as _dt
import hashlib
import random
from decimal import Decimal

from .seed import ACCOUNT_IBANS, ORGANIZATION_NAME
from .util import (
    UTC,
    be_bban,
    brussels_offset_hours,
    fr_bban,
    iban,
    iso,
    structured_communication,
)

# --- counterparties ---------------------------------------------------------
_CUSTOMERS = [
    ("Brouwerij Het Zwarte Schaap BV", iban("BE", be_bban("068", "2345678"))),
    ("Bakkerij Janssens", iban("BE", be_bban("310", "1122334"))),
    ("Van den Broeck & Zonen NV", iban("BE", be_bban("735", "5566778"))),
    ("Garage Peeters BV", iban("BE", be_bban("001", "9988776"))),
    ("Architectenbureau Maes", iban("BE", be_bban("063", "4433221"))),
    ("Café Het Anker", iban("BE", be_bban("979", "1357913"))),
    ("Boulangerie Dupont SRL", iban("BE", be_bban("250", "2468024"))),
    ("Transport Lambert SA", iban("BE", be_bban("091", "3692581"))),
    ("Groothandel de Vries B.V.", iban("NL", "ABNA0417164300")),
]
_SUPPLIERS = [
    ("Office Supplies Benelux BV", iban("BE", be_bban("363", "7418529")), "Factuur %s"),
    ("IT Solutions Gent BV", iban("BE", be_bban("737", "8529637")), "Invoice INV/%s"),
    (
        "Schoonmaakbedrijf Proper",
        iban("BE", be_bban("068", "9630741")),
        "Fact. %s schoonmaak",
    ),
    ("Müller Maschinenbau GmbH", iban("DE", "370400440532013000"), "Rechnung %s"),
    (
        "Imprimerie Martin SARL",
        iban("FR", fr_bban("30006", "00001", "12345678901")),
        "Facture %s",
    ),
]
_DEBITS = [
    ("Telco Belgium NV", "BE32ZZZ0202239951", "Factuur telefonie %s"),
    ("Energie Vlaanderen NV", "BE58ZZZ0403170701", "Voorschot energie %s"),
    ("Verzekeringen Ardenne NV", "BE47ZZZ0404476835", "Polis BA-%s premie"),
]
_MERCHANTS = [
    "SPAR LEUVEN CENTRUM",
    "BP EXPRESS MECHELEN",
    "ALDI 123 GENT",
    "NMBS STATION BRUSSEL-C",
    "IKEA ZAVENTEM",
    "AMAZON EU SARL LUXEMBOURG",
    "HOTEL AMIGO BRUXELLES",
    "RESTO DE KOE LEUVEN",
]
_US_CUSTOMERS = [
    ("Acme Corp.", "026009593-4471100"),
    ("Globex LLC", "021000021-9988123"),
]
DEFAULT_WEIGHTS = {
    "checking": [
        ("in_structured", 30),
        ("out_free", 18),
        ("card", 22),
        ("debit", 10),
        ("fees", 4),
        ("in_free", 8),
        ("out_structured", 8),
    ],
    "savings": [("interest", 1), ("transfer_in", 3), ("transfer_out", 2)],
    "usd": [("usd_in", 6), ("usd_out", 3), ("fees", 2)],
}


def _amount(rng, lo, hi):
    return Decimal(rng.randint(int(lo * 100), int(hi * 100))) / 100


def _format_dates(rng, day, value_day):
    """executionDate/valueDate with the varying precision seen in the wild.

    ``brussels``: local midnight written in UTC (``2024-03-04T23:00:00.000Z`` is
    the 5th in Brussels); ``utc``: ``...T00:00:00Z``; ``ms``/``us``: a time of day.
    """
    style = rng.choices(["brussels", "utc", "ms", "us"], [35, 30, 25, 10])[0]

    def fmt(d):
        if style == "brussels":
            dt = _dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
            return iso(dt - _dt.timedelta(hours=brussels_offset_hours(d)), "ms")
        if style == "utc":
            return iso(_dt.datetime(d.year, d.month, d.day, tzinfo=UTC), "s")
        dt = _dt.datetime(
            d.year,
            d.month,
            d.day,
            rng.randint(7, 17),
            rng.randint(0, 59),
            rng.randint(0, 59),
            rng.randint(0, 999999),
            tzinfo=UTC,
        )
        return iso(dt, style)

    return fmt(day), fmt(value_day)


def make_transaction(rng, spec, day, kind=None):
    """Attributes of one transaction executed on calendar date ``day``."""
    profile = spec.get("profile", "checking")
    if kind is None:
        kinds, weights = zip(*DEFAULT_WEIGHTS[profile], strict=False)
        kind = rng.choices(kinds, weights)[0]
    r = rng.random()
    value_day = day
    if r < 0.15:
        value_day = day + _dt.timedelta(days=rng.randint(1, 3))  # value after execution
    elif r < 0.25:
        value_day = day - _dt.timedelta(days=rng.randint(1, 2))
    execution, value = _format_dates(rng, day, value_day)
    a = {
        "valueDate": value,
        "executionDate": execution,
        "currency": spec["currency"],
        "remittanceInformationType": "unstructured",
        "counterpartName": None,
        "counterpartReference": None,
        "bankTransactionCode": None,
        "proprietaryBankTransactionCode": None,
        "purposeCode": None,
        "endToEndId": None,
        "mandateId": None,
        "creditorId": None,
        "additionalInformation": None,
        "cardReference": None,
        "cardReferenceType": None,
        "fee": None,
    }
    ref = "{}{}{:04d}".format(
        day.strftime("%y%m%d"),
        rng.choice("ABCDEFGH"),
        rng.randint(0, 9999),
    )
    if kind in ("in_structured", "out_structured"):
        name, cp_iban = rng.choice(
            _CUSTOMERS if kind == "in_structured" else _SUPPLIERS
        )[:2]
        comm = structured_communication(
            rng.randint(1, 9_999_999_999), formatted=rng.random() < 0.6
        )
        sign = 1 if kind == "in_structured" else -1
        a.update(
            amount=sign * _amount(rng, 45, 4800),
            description="SEPA credit transfer",
            remittanceInformation=comm,
            remittanceInformationType="structured",
            counterpartName=name,
            counterpartReference=cp_iban,
            bankTransactionCode="PMNT-RCDT-ESCT" if sign > 0 else "PMNT-ICDT-ESCT",
            proprietaryBankTransactionCode="01-50-000" if sign > 0 else "01-01-000",
            endToEndId=rng.choice(["NOTPROVIDED", "E2E" + ref, None]),
        )
    elif kind in ("out_free", "in_free"):
        if kind == "out_free":
            name, cp_iban, pattern = rng.choice(_SUPPLIERS)
            amount = -_amount(rng, 20, 3500)
        else:
            name, cp_iban = rng.choice(_CUSTOMERS)
            pattern = rng.choice(
                ["Invoice %s", "Betaling factuur %s", "Voorschot %s", "%s"]
            )
            amount = _amount(rng, 20, 2500)
        a.update(
            amount=amount,
            description="SEPA credit transfer",
            remittanceInformation=pattern % f"{day.year}-{rng.randint(1, 999):04d}",
            counterpartName=name,
            counterpartReference=cp_iban,
            bankTransactionCode="PMNT-ICDT-ESCT" if amount < 0 else "PMNT-RCDT-ESCT",
            endToEndId=("E2E" + ref) if rng.random() < 0.5 else None,
        )
    elif kind == "card":
        merchant = rng.choice(_MERCHANTS)
        foreign = "LUXEMBOURG" in merchant
        a.update(
            amount=-_amount(rng, 2, 480),
            description="Card payment",
            remittanceInformation="{} {}".format(merchant, day.strftime("%d/%m")),
            counterpartName=merchant if rng.random() < 0.7 else None,
            bankTransactionCode="PMNT-CCRD-POSD",
            proprietaryBankTransactionCode="04-37-000",
            cardReference=f"{rng.choice([4821, 7730]):04d}",
            cardReferenceType=rng.choice(["MASKEDPAN", "PAN"])
            if rng.random() < 0.8
            else "MASKEDPAN",
            fee=_amount(rng, 0.5, 2.5)
            if foreign
            else (Decimal("0.00") if rng.random() < 0.3 else None),
            additionalInformation="Bancontact"
            if not foreign
            else "Mastercard, rate 1.0000",
        )
    elif kind == "debit":
        name, creditor, pattern = rng.choice(_DEBITS)
        a.update(
            amount=-_amount(rng, 25, 400),
            description="SEPA direct debit",
            remittanceInformation=pattern % day.strftime("%m/%Y"),
            counterpartName=name,
            counterpartReference=iban(
                "BE", be_bban("096", f"{rng.randint(0, 9_999_999):07d}")
            ),
            bankTransactionCode="PMNT-RDDT-ESDD",
            mandateId=f"MNDT{rng.randint(0, 99_999_999):08d}",
            creditorId=creditor,
            endToEndId="DD" + ref,
            purposeCode=rng.choice([None, "OTHR"]),
        )
    elif kind == "fees":
        a.update(
            amount=-_amount(rng, 1, 25),
            description="Bank charges",
            remittanceInformation=rng.choice(
                ["Kosten beheer rekening", "Frais de gestion", None]
            ),
            bankTransactionCode="ACMT-MDOP-CHRG",
        )
    elif kind == "interest":
        a.update(
            amount=_amount(rng, 5, 120),
            description="Interest",
            remittanceInformation="Basisrente + getrouwheidspremie",
            bankTransactionCode="ACMT-MDOP-INTR",
            purposeCode="INTE",
        )
    elif kind in ("transfer_in", "transfer_out"):
        sign = 1 if kind == "transfer_in" else -1
        a.update(
            amount=sign * _amount(rng, 500, 10000),
            description="Internal transfer",
            remittanceInformation="Spaarrekening" if sign > 0 else "Naar zichtrekening",
            counterpartName=ORGANIZATION_NAME,
            counterpartReference=ACCOUNT_IBANS["kbc-checking"],
            bankTransactionCode="PMNT-ICDT-BOOK",
        )
    elif kind in ("usd_in", "usd_out"):
        name, number = rng.choice(_US_CUSTOMERS)
        sign = 1 if kind == "usd_in" else -1
        a.update(
            amount=sign * _amount(rng, 300, 9000),
            description="International transfer",
            remittanceInformation=f"PO {rng.randint(10000, 99999)}",
            counterpartName=name,
            counterpartReference=number,
            bankTransactionCode="PMNT-RCDT-XBCT" if sign > 0 else "PMNT-ICDT-XBCT",
            fee=_amount(rng, 5, 15),
            purposeCode="GDDS",
        )
    else:
        raise ValueError(f"unknown transaction kind {kind!r}")
    a["internalReference"] = "{}-{}".format(spec["fi"].upper(), ref)
    a["digest"] = hashlib.sha256(repr(sorted(a.items())).encode()).hexdigest()
    return a


def history(seed, spec, anchor):
    """Existing transactions, in bank-creation order (executionDate NOT monotonic)."""
    rng = random.Random("{}:history:{}".format(seed, spec["key"]))
    n = spec["count"]
    span = min(365, max(20, int(n * 1.4)))
    days = sorted(anchor - _dt.timedelta(days=rng.randint(1, span)) for _ in range(n))
    txs = [make_transaction(rng, spec, d) for d in days]
    for i in range(len(txs) - 1):  # local disorder: creation order != date order
        if rng.random() < 0.12:
            txs[i], txs[i + 1] = txs[i + 1], txs[i]
    created = None
    anchor_dt = _dt.datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    for a in txs:
        day = _dt.date.fromisoformat(a["executionDate"][:10])
        c = _dt.datetime(day.year, day.month, day.day, tzinfo=UTC) + _dt.timedelta(
            days=1,
            hours=rng.choice([2, 8, 14, 20]),
            seconds=rng.randint(0, 3599),
            microseconds=rng.randint(0, 999) * 1000,
        )
        c = min(c, anchor_dt - _dt.timedelta(hours=5))
        if created is not None and c <= created:
            c = created + _dt.timedelta(milliseconds=rng.randint(1, 999))
        created = c
        a["createdAt"] = a["updatedAt"] = iso(created)
    return txs


def pending(seed, spec, anchor):
    rng = random.Random("{}:pending:{}".format(seed, spec["key"]))
    out = []
    for i in range(spec["pending"]):
        a = make_transaction(rng, spec, anchor - _dt.timedelta(days=i % 2), kind="card")
        a["createdAt"] = a["updatedAt"] = iso(
            _dt.datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
            - _dt.timedelta(hours=4, minutes=10 * i)
        )
        out.append(a)
    return out
