"""Small helpers shared by the models (no ORM state)."""

from datetime import UTC


def aware(value):
    """A naive UTC datetime of the ORM as the aware datetime the client wants."""
    return value.replace(tzinfo=UTC) if value else None


def naive(value):
    """An aware datetime of the client as the ORM's naive UTC datetime."""
    return value.astimezone(UTC).replace(tzinfo=None) if value else False
