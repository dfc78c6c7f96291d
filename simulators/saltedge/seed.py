"""The seeded world: Salt Edge providers, the business accounts their banks
hold, and one customer with one connection that exists from the start.

Structural values (provider codes and ids, IBANs, the App-id, the seeded
customer's identifier) are constants, independent of the seed; transaction
contents depend on the seed; dates are placed relative to an anchor date.
"""

from decimal import Decimal

from ..ponto.util import be_bban, iban

APP_ID = "sim-saltedge-app-id"
SECRET = "sim-saltedge-secret"
#: the seeded customer, and its connection to KBC Business (both accounts)
SEED_CUSTOMER_IDENTIFIER = "sim-demo-company"
SEED_PROVIDER = "kbc_business_be"
SEED_CONSENT_AGE_DAYS = 30  # granted this many days before the anchor date
HOLDER = "Demo BV"

#: code, name, country, status, regulated, max_consent_days, max_fetch_interval,
#: refresh_timeout (minutes), BIC, home page, logo colour
_PROVIDERS = [
    ("kbc_business_be", "KBC Business", "BE", "active", True, 180, 730, 60,
     "KREDBEBB", "https://www.kbc.be/business", "#00aeef"),
    ("belfius_business_be", "Belfius Business", "BE", "active", True, 90, 90, 60,
     "GKCCBEBB", "https://www.belfius.be/business", "#c30045"),
    ("bnp_paribas_fortis_business_be", "BNP Paribas Fortis Business", "BE",
     "active", True, 180, 90, 60, "GEBABEBB", "https://www.bnpparibasfortis.be",
     "#00965e"),
    ("ing_business_be", "ING Belgium Business", "BE", "active", True, 90, 730, 30,
     "BBRUBEBB", "https://www.ing.be/business", "#ff6200"),
    ("argenta_be", "Argenta", "BE", "inactive", True, 90, 90, 60,
     "ARSPBE22", "https://www.argenta.be", "#7ab800"),
    ("crelan_be", "Crelan", "BE", "disabled", True, 180, 90, 60,
     "NICABEBB", "https://www.crelan.be", "#6cb33f"),
    ("abn_amro_business_nl", "ABN AMRO Business", "NL", "active", True, 90, 730,
     60, "ABNANL2A", "https://www.abnamro.nl/zakelijk", "#00716b"),
    ("fakebank_oauth_xf", "Fake Bank with OAuth", "XF", "active", False, 90, 365,
     5, "FAKEXFXX", "https://example.com/fakebank", "#6b2fb3"),
]  # fmt: skip
_TIMEZONES = {"BE": "Europe/Brussels", "NL": "Europe/Amsterdam", "XF": "UTC"}
PROVIDER_CODES = tuple(row[0] for row in _PROVIDERS)
_BICS = {row[0]: row[8] for row in _PROVIDERS}


def providers():
    """The provider objects as the API shows them (``logo_url`` is relative to
    the simulator's root, ``created_at`` is filled in by the store)."""
    out = []
    for index, row in enumerate(_PROVIDERS):
        code, name, country, status, regulated, consent, fetch, timeout = row[:8]
        bic, home, colour = row[8:]
        out.append(
            {
                "id": str(1031 + 17 * index),
                "code": code,
                "name": name,
                "country_code": country,
                "status": status,
                "mode": "oauth",
                "regulated": regulated,
                "automatic_fetch": True,
                "interactive": True,
                "max_consent_days": consent,
                "max_fetch_interval": fetch,
                "refresh_timeout": timeout,
                "bic_codes": [bic],
                "logo_url": f"/logos/{code}.svg",
                "home_url": home,
                "timezone": _TIMEZONES[country],
                "supported_fetch_scopes": ["accounts", "transactions"],
                "supported_account_types": ["business", "personal"],
                "instruction": f"Sign in to {name} with itsme or your card reader.",
                "colour": colour,
            }
        )
    return out


# key, provider, name, nature, number (bank code + account), opening balance,
# history (days, transactions, duplicates, pending), profile, structured
# communication in "description" or in "information"
_ACCOUNTS = [
    ("kbc-current", "kbc_business_be", "KBC Zakenrekening", "checking",
     ("734", "0412345"), "15000.00", (400, 260, 3, 3), "checking", "description"),
    ("kbc-savings", "kbc_business_be", "KBC Spaarrekening Business", "savings",
     ("737", "1020304"), "50000.00", (400, 12, 0, 0), "savings", "description"),
    ("belfius-current", "belfius_business_be", "Belfius Business Rekening",
     "checking", ("068", "2004567"), "8200.00", (200, 120, 2, 2), "checking",
     "information"),
    ("bnp-current", "bnp_paribas_fortis_business_be", "Zichtrekening Business",
     "checking", ("001", "6543210"), "8000.00", (150, 90, 2, 1), "checking",
     "information"),
    ("bnp-savings", "bnp_paribas_fortis_business_be", "Spaarrekening Business",
     "savings", ("001", "7788990"), "20000.00", (150, 6, 0, 0), "savings",
     "information"),
    ("ing-current", "ing_business_be", "ING Business Account", "checking",
     ("363", "1234567"), "4300.00", (365, 150, 2, 2), "checking", "description"),
    ("argenta-current", "argenta_be", "Argenta Zakenrekening", "checking",
     ("979", "2345678"), "9500.00", (100, 30, 0, 0), "checking", "description"),
    ("crelan-current", "crelan_be", "Crelan Business", "checking",
     ("103", "0123456"), "1800.00", (100, 20, 0, 0), "checking", "information"),
    ("abnamro-current", "abn_amro_business_nl", "ABN AMRO Zakelijke Rekening",
     "checking", None, "6100.00", (120, 40, 1, 1), "checking", "description"),
    ("fakebank-current", "fakebank_oauth_xf", "Fake business account 1",
     "checking", ("000", "1234501"), "1000.00", (120, 50, 1, 2), "checking",
     "description"),
    ("fakebank-savings", "fakebank_oauth_xf", "Fake business savings 2",
     "savings", ("000", "1234502"), "25000.00", (120, 8, 0, 0), "savings",
     "information"),
]  # fmt: skip


def accounts():
    """The banks' account specifications, one dict each."""
    out = []
    for row in _ACCOUNTS:
        key, provider, name, nature, number, opening, history, profile, where = row
        days, count, duplicates, pending = history
        if number is None:  # a Dutch account: bank code + 10 digits
            account_iban = iban("NL", "ABNA0512345678")
        else:
            account_iban = iban("BE", be_bban(*number))
        out.append(
            {
                "key": key,
                "provider": provider,
                "name": name,
                "nature": nature,
                "iban": account_iban,
                "bic": _BICS[provider],
                "currency": "EUR",
                "opening": Decimal(opening),
                "days": days,
                "count": count,
                "duplicates": duplicates,
                "pending": pending,
                "profile": profile,
                "structured_in": where,
                "fi": provider.split("_", 1)[0],
            }
        )
    return out


ACCOUNT_IBANS = {spec["key"]: spec["iban"] for spec in accounts()}
