"""Provider payload readers: dates of any precision, bank calendar dates,
amounts as Decimal."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from clients.errors import InvalidResponse
from clients.parsing import bank_date, parse_amount, parse_datetime


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2019-09-02T11:28:36.551Z", datetime(2019, 9, 2, 11, 28, 36, 551000)),
        ("2020-05-22T00:00:00Z", datetime(2020, 5, 22)),
        ("2023-02-28T14:36:10.319029Z", datetime(2023, 2, 28, 14, 36, 10, 319029)),
        ("2023-02-28T14:36:10.319029123Z", datetime(2023, 2, 28, 14, 36, 10, 319029)),
        ("2023-02-28T15:36:10+01:00", datetime(2023, 2, 28, 14, 36, 10)),
        ("2023-02-28T14:36:10", datetime(2023, 2, 28, 14, 36, 10)),
    ],
)
def test_parse_datetime(text, expected):
    assert parse_datetime(text) == expected.replace(tzinfo=UTC)


def test_parse_datetime_rejects_garbage():
    assert parse_datetime(None) is None
    with pytest.raises(InvalidResponse):
        parse_datetime("yesterday")
    with pytest.raises(InvalidResponse):
        parse_datetime(12)


def test_bank_date_is_the_banks_calendar_day():
    # midnight in Brussels is 23:00 UTC the day before (winter), 22:00 (summer)
    assert bank_date("2024-03-04T23:00:00.000Z") == date(2024, 3, 5)
    assert bank_date("2024-07-04T22:00:00Z") == date(2024, 7, 5)
    assert bank_date("2024-07-04T22:00:00Z", "UTC") == date(2024, 7, 4)
    assert bank_date("2024-07-04") == date(2024, 7, 4)
    assert bank_date("2024-07-04T12:00:00Z", "Not/AZone") == date(2024, 7, 4)


@pytest.mark.parametrize(
    "value, expected",
    [(2.76, "2.76"), (-6386.04, "-6386.04"), ("1", "1"), (0.1, "0.1"), (10, "10")],
)
def test_parse_amount(value, expected):
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["abc", True, "NaN", "Infinity", [1]])
def test_parse_amount_rejects(value):
    with pytest.raises(InvalidResponse):
        parse_amount(value)


def test_missing_required_amount():
    assert parse_amount(None) is None
    with pytest.raises(InvalidResponse):
        parse_amount(None, required=True)
