"""Small helpers: the simulator clock, deterministic ids, date formatting,
IBANs and Belgian structured communications (both with real mod-97 checks)."""

import base64
import datetime as _dt
import json
import uuid

from ..common.clock import Clock

__all__ = ["Clock"]  # where the simulators found it first

UTC = _dt.UTC
# Fixed namespace: every id the simulator hands out is uuid5(NAMESPACE, ...).
NAMESPACE = uuid.UUID("2f0c5a8e-6a55-4c1b-9d1e-5e1b0b7a9c31")


def sim_uuid(*parts):
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def iso(dt, precision="ms"):
    """ISO-8601 UTC with ``Z``; precision ``ms`` (Ponto's usual), ``s`` or ``us``."""
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if precision == "ms":
        return f"{base}.{dt.microsecond // 1000:03d}Z"
    if precision == "us":
        return f"{base}.{dt.microsecond:06d}Z"
    return base + "Z"


def parse_iso(value):
    if not value:
        return None
    return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def brussels_offset_hours(day):
    """UTC offset of Europe/Brussels at noon of ``day`` (EU DST rule, no tzdata)."""

    def last_sunday(year, month):
        d = _dt.date(year, month, 31)
        return d - _dt.timedelta(days=(d.weekday() + 1) % 7)

    start, end = last_sunday(day.year, 3), last_sunday(day.year, 10)
    return 2 if start <= day < end else 1


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode_any(text):
    """Decode standard or URL-safe base64, padded or not."""
    text = text.strip()
    text += "=" * (-len(text) % 4)
    if "-" in text or "_" in text:
        return base64.urlsafe_b64decode(text)
    return base64.b64decode(text, validate=True)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value):
    # Decimal amounts are sent as JSON numbers, like Ponto does.
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (_dt.datetime,)):
        return iso(value)
    raise TypeError(repr(value))


# --- IBAN / structured communication -------------------------------------


def _to_digits(text):
    return "".join(str(int(c, 36)) for c in text.upper())


def iban(country, bban):
    """Build an IBAN with correct check digits."""
    check = 98 - int(_to_digits(bban + country + "00")) % 97
    return f"{country}{check:02d}{bban}"


def iban_is_valid(value):
    value = value.replace(" ", "").upper()
    return len(value) > 4 and int(_to_digits(value[4:] + value[:4])) % 97 == 1


def be_bban(bank3, account7):
    """Belgian BBAN: 3-digit bank code, 7-digit account, 2 mod-97 check digits."""
    base = f"{int(bank3):03d}{int(account7):07d}"
    return base + f"{int(base) % 97 or 97:02d}"


def fr_bban(bank5, branch5, account11):
    """French BBAN with its RIB key (letters mapped to digits as the RIB does)."""
    table = {
        c: str(v)
        for c, v in zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789", strict=False
        )
    }
    acc = "".join(table.get(c, c) for c in account11.upper())
    key = 97 - (89 * int(bank5) + 15 * int(branch5) + 3 * int(acc)) % 97
    return f"{bank5}{branch5}{account11}{key:02d}"


def structured_communication(number10, formatted=True):
    """Belgian OGM/VCS: 10 digits + mod-97 check (97 when the rest is 0)."""
    digits = f"{number10:010d}"
    digits += f"{int(digits) % 97 or 97:02d}"
    if not formatted:
        return digits
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def structured_is_valid(value):
    digits = "".join(c for c in value if c.isdigit())
    return len(digits) == 12 and (int(digits[:10]) % 97 or 97) == int(digits[10:])
