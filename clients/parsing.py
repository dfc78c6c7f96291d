"""Lenient readers for provider payloads: dates of any precision, amounts as
``Decimal``, and JSON bodies that must have a given shape."""

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidResponse

DEFAULT_TIME_ZONE = "Europe/Brussels"


def parse_datetime(value):
    """ISO-8601 date-time (``Z`` or offset, 0 to 9 fractional digits) → aware UTC.

    A bare date gives midnight UTC of that date; ``None``/empty gives ``None``.
    """
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidResponse(f"Expected a date-time, got {type(value).__name__}")
    text = value.strip()
    if "." in text:  # Python reads at most 6 fractional digits
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)] or '0'}{tail[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidResponse(f"Unreadable date-time {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def bank_date(value, time_zone=None):
    """The calendar date of a provider date-time in the bank's time zone.

    ``2024-03-04T23:00:00Z`` is the 5th of March for a Belgian bank: never take
    the UTC date. A bare ``YYYY-MM-DD`` is taken as is.
    """
    if value in (None, ""):
        return None
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidResponse(f"Unreadable date {value!r}") from None
    moment = parse_datetime(value)
    return moment.astimezone(_zone(time_zone)).date()


def _zone(name):
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def parse_amount(value, *, required=False, what="amount"):
    """A JSON number or numeric string → ``Decimal`` (floats via their repr)."""
    if value is None or value == "":
        if required:
            raise InvalidResponse(f"Missing {what}")
        return None
    if isinstance(value, bool):
        raise InvalidResponse(f"Unreadable {what} {value!r}")
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidResponse(f"Unreadable {what} {value!r}") from None
    if not result.is_finite():
        raise InvalidResponse(f"Unreadable {what} {value!r}")
    return result


def json_body(response):
    """The decoded JSON object of a response, or :class:`InvalidResponse`."""
    try:
        body = response.json()
    except ValueError:
        raise InvalidResponse(
            f"The provider answered HTTP {response.status_code} with a body that "
            "is not JSON",
            status=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise InvalidResponse("The provider answered JSON of an unexpected shape")
    return body


def require(mapping, key, what):
    """``mapping[key]``, or :class:`InvalidResponse` naming what is missing."""
    if not isinstance(mapping, dict) or mapping.get(key) in (None, ""):
        raise InvalidResponse(f"The provider's {what} has no {key!r}")
    return mapping[key]
