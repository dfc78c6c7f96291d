"""Small helpers shared by the models (no ORM state)."""

from datetime import UTC, datetime

from odoo.tools import format_datetime


def aware(value):
    """A naive UTC datetime of the ORM as the aware datetime the client wants."""
    return value.replace(tzinfo=UTC) if value else None


def naive(value):
    """An aware datetime of the client as the ORM's naive UTC datetime."""
    return value.astimezone(UTC).replace(tzinfo=None) if value else False


def relative_time(env, value, now=None):
    """``value`` (a naive UTC datetime of the ORM) as a person says it:
    "just now", "12 minutes ago", "3 hours ago", else its date and time in
    the user's time zone."""
    if not value:
        return ""
    seconds = ((now or datetime.now(UTC).replace(tzinfo=None)) - value).total_seconds()
    if 0 <= seconds < 60:
        return env._("just now")
    if 0 <= seconds < 3600:
        minutes = int(seconds // 60)
        if minutes == 1:
            return env._("1 minute ago")
        return env._("%(count)s minutes ago", count=minutes)
    if 0 <= seconds < 12 * 3600:
        hours = int(seconds // 3600)
        if hours == 1:
            return env._("1 hour ago")
        return env._("%(count)s hours ago", count=hours)
    return format_datetime(env, value, dt_format="short")
