"""Deterministic seeded data: institutions, the organisation, its accounts and
realistic Belgian bank transactions.

Structural ids (organisation, institutions, accounts, application, custom
integration) are fixed constants, independent of the seed, so tests can name them.
Transaction contents and ids depend on the seed (``random.Random``), and dates are
placed relative to an anchor date (today by default; pin it with ``anchor_date``).
"""

from decimal import Decimal

from .util import (
    be_bban,
    iban,
    sim_uuid,
)

ORGANIZATION_ID = sim_uuid("organization", "demo-bv")
ORGANIZATION_NAME = "Demo BV"
APPLICATION_ID = sim_uuid("application", "sim-connect-client")
CUSTOM_INTEGRATION_ID = sim_uuid("integration", "custom", ORGANIZATION_ID)

# key, name, bic, country, status, colour, maintenance (type, from, to in days
# relative to the anchor date) or None
_INSTITUTIONS = [
    ("kbc", "KBC Bank", "KREDBEBB", "BE", "stable", "#00aeef", None),
    ("bnp", "BNP Paribas Fortis", "GEBABEBB", "BE", "stable", "#00965e", None),
    ("belfius", "Belfius Bank", "GKCCBEBB", "BE", "stable", "#c30045", None),
    ("ing", "ING Belgium", "BBRUBEBB", "BE", "stable", "#ff6200", None),
    ("argenta", "Argenta", "ARSPBE22", "BE", "beta", "#7ab800", None),
    (
        "crelan",
        "Crelan",
        "NICABEBB",
        "BE",
        "stable",
        "#6cb33f",
        ("financialInstitution", -1, 7),
    ),
    ("abnamro", "ABN AMRO", "ABNANL2A", "NL", "stable", "#00716b", None),
    ("rabobank", "Rabobank", "RABONL2U", "NL", "experimental", "#000099", None),
    ("socgen", "Société Générale", "SOGEFRPP", "FR", "stable", "#e9041e", None),
]
_TZ = {"BE": "Europe/Brussels", "NL": "Europe/Amsterdam", "FR": "Europe/Paris"}

FI_IDS = {row[0]: sim_uuid("financial-institution", row[0]) for row in _INSTITUTIONS}


def institutions():
    out = []
    for key, name, bic, country, status, colour, maint in _INSTITUTIONS:
        out.append(
            {
                "id": FI_IDS[key],
                "key": key,
                "maintenance": maint,
                "attrs": {
                    "name": name,
                    "bic": bic,
                    "country": country,
                    "status": status,
                    "logoUrl": None,  # filled per request: {root}/logos/{key}.svg
                    "primaryColor": colour,
                    "secondaryColor": "#ffffff",
                    "timeZone": _TZ[country],
                    "deprecated": False,
                    "maintenanceType": None,
                    "maintenanceFrom": None,
                    "maintenanceTo": None,
                    "paymentsEnabled": country == "BE",
                    "paymentsProductTypes": ["sepaCreditTransfer"]
                    if country == "BE"
                    else [],
                    "bulkPaymentsEnabled": key in ("kbc", "bnp", "belfius"),
                    "bulkPaymentsProductTypes": ["sepaCreditTransfer"]
                    if key in ("kbc", "bnp", "belfius")
                    else [],
                    "periodicPaymentsEnabled": False,
                    "periodicPaymentsProductTypes": [],
                    "futureDatedPaymentsAllowed": key in ("kbc", "belfius"),
                    "sharedBrandName": None,
                    "sharedBrandReference": None,
                },
            }
        )
    return out


# The organisation's accounts: two EUR at KBC, one EUR and one USD at BNP.
ACCOUNTS = [
    {
        "key": "kbc-checking",
        "fi": "kbc",
        "subtype": "checking",
        "currency": "EUR",
        "bban": be_bban("734", "0412345"),
        "description": "KBC-Zakenrekening",
        "product": "KBC Business Pro",
        "count": 250,
        "pending": 3,
        "opening": Decimal("15000.00"),
        "consent_left_days": 150,
        "profile": "checking",
    },
    {
        "key": "kbc-savings",
        "fi": "kbc",
        "subtype": "savings",
        "currency": "EUR",
        "bban": be_bban("737", "1020304"),
        "description": "KBC Spaarrekening",
        "product": "Business Savings",
        "count": 6,
        "pending": 0,
        "opening": Decimal("50000.00"),
        "consent_left_days": 150,
        "profile": "savings",
    },
    {
        "key": "bnp-checking",
        "fi": "bnp",
        "subtype": "checking",
        "currency": "EUR",
        "bban": be_bban("001", "6543210"),
        "description": "Zichtrekening Business",
        "product": "Business Start",
        "count": 40,
        "pending": 0,
        "opening": Decimal("8000.00"),
        "consent_left_days": 10,
        "profile": "checking",
    },
    {
        "key": "bnp-usd",
        "fi": "bnp",
        "subtype": "checking",
        "currency": "USD",
        "bban": be_bban("001", "7788990"),
        "description": "Current account USD",
        "product": "Foreign Currency Account",
        "count": 12,
        "pending": 0,
        "opening": Decimal("20000.00"),
        "consent_left_days": 10,
        "profile": "usd",
    },
]
for _a in ACCOUNTS:
    _a["id"] = sim_uuid("account", _a["key"])
    _a["iban"] = iban("BE", _a["bban"])
ACCOUNT_IDS = {a["key"]: a["id"] for a in ACCOUNTS}
ACCOUNT_IBANS = {a["key"]: a["iban"] for a in ACCOUNTS}
