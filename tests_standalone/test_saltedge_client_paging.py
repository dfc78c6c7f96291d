"""The newest-first paging adaptation against canned bodies served over local
HTTP (``saltedge_fake``): Salt Edge lists ascending by id with ``from_id``;
the engine reads newest first down to its cursor, and resumes below
``after_id``. Every request is signed and its signature verifies."""

from datetime import date
from decimal import Decimal

import pytest

from clients.base import RefusedTransaction, Transaction
from clients.errors import InvalidResponse, NotFound
from tests_standalone.saltedge_fake import SECRET, Fake, tx


@pytest.fixture(params=[True, False], ids=["from_id_inclusive", "from_id_exclusive"])
def fake(request):
    fake = Fake(page_size=3, from_id_inclusive=request.param).start()
    try:
        yield fake
    finally:
        fake.stop()


def _ids(page):
    return [item.id for item in page]


def _seed(fake, count=10, first=1001):
    fake.transactions["900"] = [tx(first + i, f"{i + 1}.25") for i in range(count)]


def _every_request_signed(fake):
    assert fake.requests
    for request in fake.requests:
        assert request["signed"], request["url"]
        assert request["headers"]["Secret"] == SECRET
        assert request["headers"]["Expires-at"].isdigit()


def test_first_import_newest_first(fake):
    """No cursor: everything, newest first, in pages of ``page_size``; the
    HTTP pages (3 rows) follow ``meta.next_id``."""
    _seed(fake, 10)
    client = fake.client(page_size=4)
    pages = list(client.iter_transaction_pages("900"))
    assert [_ids(p) for p in pages] == [
        ["1010", "1009", "1008", "1007"],
        ["1006", "1005", "1004", "1003"],
        ["1002", "1001"],
    ]
    assert [(p.first_id, p.last_id) for p in pages] == [
        ("1010", "1007"),
        ("1006", "1003"),
        ("1002", "1001"),
    ]
    assert len(fake.requests) == 4  # 10 rows by 3
    assert "from_id" not in fake.requests[0]["query"]
    _every_request_signed(fake)


def test_stop_at_id_reads_forward_from_the_cursor(fake):
    _seed(fake, 10)
    pages = list(
        fake.client(page_size=100).iter_transaction_pages("900", stop_at_id="1007")
    )
    assert [_ids(p) for p in pages] == [["1010", "1009", "1008"]]
    assert fake.requests[0]["query"]["from_id"] == "1007"
    assert fake.requests[0]["query"]["connection_id"] == "5001"
    assert fake.requests[0]["query"]["account_id"] == "900"
    # nothing newer: no page at all
    assert list(fake.client().iter_transaction_pages("900", stop_at_id="1010")) == []
    _every_request_signed(fake)


def test_ids_compare_as_integers(fake):
    """``999`` < ``1000`` although ``"999" > "1000"`` as text."""
    fake.transactions["900"] = [
        tx(998, "1"),
        tx(999, "2"),
        tx(1000, "3"),
        tx(1001, "4"),
    ]
    pages = list(fake.client().iter_transaction_pages("900", stop_at_id="999"))
    assert [_ids(p) for p in pages] == [["1001", "1000"]]
    pages = list(fake.client().iter_transaction_pages("900", after_id="1000"))
    assert [_ids(p) for p in pages] == [["999", "998"]]


def test_after_id_resumes_below_and_stops_reading_early(fake):
    _seed(fake, 12)
    client = fake.client(page_size=2)
    pages = list(
        client.iter_transaction_pages("900", stop_at_id="1002", after_id="1007")
    )
    assert [_ids(p) for p in pages] == [["1006", "1005"], ["1004", "1003"]]
    # 1002..1004, 1005..1007: the row 1007 ends the read (12 rows would be 4-5)
    assert len(fake.requests) == 2


def test_engine_like_run_stopped_and_resumed(fake):
    """As ``_read_pages``: the first run stops after one page (time budget),
    the next goes on after ``resume_after_ref`` down to the cursor, then the
    cursor moves to the top; a later run gets only the new rows."""
    _seed(fake, 9)
    client = fake.client(page_size=3)
    pages = client.iter_transaction_pages("900")
    first = next(pages)
    top, after = first.first_id, first.last_id
    imported = _ids(first)
    pages.close()
    for page in fake.client(page_size=3).iter_transaction_pages("900", after_id=after):
        imported += _ids(page)
    assert imported == [str(i) for i in range(1009, 1000, -1)]
    cursor = top
    fake.transactions["900"] += [tx(1010, "5"), tx(1011, "6")]
    later = list(fake.client().iter_transaction_pages("900", stop_at_id=cursor))
    assert [_ids(p) for p in later] == [["1011", "1010"]]


def test_duplicated_filtered_but_in_the_bounds(fake):
    """A duplicated row is never imported, but the page's ids cover it: the
    cursor and the resume position move over it."""
    _seed(fake, 6)
    rows = fake.transactions["900"]
    rows[-1]["duplicated"] = True  # 1006, the newest
    rows[2]["duplicated"] = True  # 1003
    pages = list(fake.client(page_size=3).iter_transaction_pages("900"))
    assert [_ids(p) for p in pages] == [["1005", "1004"], ["1002", "1001"]]
    assert [(p.first_id, p.last_id) for p in pages] == [
        ("1006", "1004"),
        ("1003", "1001"),
    ]
    # a page of duplicates only still comes, empty, with its bounds
    for row in rows[:3]:
        row["duplicated"] = True
    pages = list(fake.client(page_size=3).iter_transaction_pages("900"))
    assert pages[-1] == [] and (pages[-1].first_id, pages[-1].last_id) == (
        "1003",
        "1001",
    )


def test_pending_never_in_posted_pages(fake):
    _seed(fake, 3)
    fake.transactions["900"][1]["status"] = "pending"  # should not be there [I]
    fake.pending["900"] = [
        tx(5, "-7.5", status="pending", extra={"payee": "Shop"}),
        tx(6, "-2", status="pending"),
    ]
    client = fake.client()
    posted = [t for p in client.iter_transaction_pages("900") for t in p]
    assert [t.id for t in posted] == ["1003", "1001"]
    assert not any(t.pending for t in posted)
    assert all(r["query"].get("pending") is None for r in fake.requests)
    pending = client.list_pending_transactions("900")
    assert [t.id for t in pending] == ["5", "6"] and all(t.pending for t in pending)
    assert (
        pending[0].amount == Decimal("-7.5") and pending[0].counterpart_name == "Shop"
    )
    assert fake.requests[-1]["query"]["pending"] == "true"
    _every_request_signed(fake)


def test_amounts_are_exact_decimals(fake):
    """JSON numbers decode as Decimal: 0.1 + 0.2 is 0.3, 1234.10 keeps its
    digits, a 19-digit amount is not rounded."""
    fake.transactions["900"] = [
        tx(1, "0.1"),
        tx(2, "0.2"),
        tx(3, "1234.10"),
        tx(4, "1234567890123456.78"),
        tx(5, "-0.30"),
    ]
    items = {t.id: t for p in fake.client().iter_transaction_pages("900") for t in p}
    assert all(isinstance(t.amount, Decimal) for t in items.values())
    assert items["1"].amount + items["2"].amount == Decimal("0.3")
    assert items["1"].amount + items["2"].amount + items["5"].amount == 0
    assert str(items["3"].amount) == "1234.10"
    assert items["4"].amount == Decimal("1234567890123456.78")
    balances = {a.id: a.current_balance for a in fake.client().list_accounts()}
    assert balances == {"900": Decimal("1234.10"), "901": Decimal("-10.5")}


def test_since_filters_by_date(fake):
    fake.transactions["900"] = [
        tx(1, "1", made_on="2025-01-01"),
        tx(2, "2", made_on="2025-01-05"),
        tx(3, "3", made_on="2024-12-31"),  # booked late: a higher id, older
        tx(4, "4", made_on="2025-01-06"),
    ]
    pages = list(fake.client().iter_transaction_pages("900", since=date(2025, 1, 2)))
    assert [_ids(p) for p in pages] == [["4", "2"]]
    assert (pages[0].first_id, pages[0].last_id) == ("4", "1")


def test_unreadable_row_is_refused_not_fatal(fake):
    _seed(fake, 3)
    fake.transactions["900"][1]["amount"] = "not a number"
    fake.transactions["900"][2]["amount"] = None
    page = next(fake.client().iter_transaction_pages("900"))
    kinds = [(type(item).__name__, item.id) for item in page]
    assert kinds == [
        ("RefusedTransaction", "1003"),
        ("RefusedTransaction", "1002"),
        ("Transaction", "1001"),
    ]
    assert isinstance(page[0], RefusedTransaction) and "amount" in page[0].reason
    fake.transactions["900"].append({"amount": 1})  # no id: the list is broken
    with pytest.raises(InvalidResponse):
        list(fake.client().iter_transaction_pages("900"))


def test_get_transaction(fake):
    _seed(fake, 8)
    rows = fake.transactions["900"]
    rows[4]["duplicated"] = True  # 1005
    rows[5]["amount"] = "n/a"  # 1006
    client = fake.client()
    found = client.get_transaction("900", "1004")
    assert isinstance(found, Transaction) and found.amount == Decimal("4.25")
    assert fake.requests[-1]["query"]["from_id"] == "1003"
    assert client.get_transaction("900", "1001").id == "1001"
    with pytest.raises(NotFound):
        client.get_transaction("900", "1005")
    with pytest.raises(InvalidResponse):
        client.get_transaction("900", "1006")
    with pytest.raises(NotFound):
        client.get_transaction("900", "999999")
    _every_request_signed(fake)


def test_transaction_fields(fake):
    """Counterpart by the sign, IBAN from ``*_information``, a structured
    communication, end-to-end id; the bank's own id is the internal ref."""
    fake.transactions["900"] = [
        tx(
            1,
            "-25.00",
            description="Invoice 42",
            extra={
                "payee": "Electrabel",
                "payee_information": "BE68 5390 0754 7034",
                "payer": "Us",
                "information": "+++090/9337/55493+++",
                "end_to_end_id": "E2E-1",
                "id": "bank-77",
            },
        ),
        tx(2, "10", extra={"payer": "BE68539007547034", "additional": "Refund"}),
        tx(3, "5", description="+++123/4567/89012+++"),  # bad check digits
    ]
    items = {t.id: t for p in fake.client().iter_transaction_pages("900") for t in p}
    one = items["1"]
    assert one.counterpart_name == "Electrabel"
    assert one.counterpart_account == "BE68539007547034"
    assert one.remittance_information == "+++090/9337/55493+++"
    assert one.remittance_structured and one.description == "Invoice 42"
    assert one.end_to_end_id == "E2E-1" and one.internal_reference == "bank-77"
    two = items["2"]
    assert (
        two.counterpart_name is None and two.counterpart_account == "BE68539007547034"
    )
    assert two.remittance_information == "Transaction 2 Refund"
    assert not items["3"].remittance_structured
