"""The JSON shapes of Salt Edge's objects (v6) and of a list's page
(``{"data": [...], "meta": {"next_id", "next_page"}}``)."""

from urllib.parse import urlencode

from ..ponto.util import iso
from .errors import SaltEdgeError
from .seed import HOLDER

API_PREFIX = "/api/v6"
LAST_PAGE = {"next_id": None, "next_page": None}


def when(dt):
    return iso(dt, "s")


def day(value):
    return value.isoformat() if value is not None else None


def customer(sim, c):
    return {
        sim.customer_id_key: c.id,
        "identifier": c.identifier,
        "categorization_type": c.categorization_type,
        "blocked_at": when(c.blocked_at),
        "created_at": when(c.created_at),
        "updated_at": when(c.updated_at),
    }


def provider(sim, p):
    out = {k: v for k, v in p.items() if k != "colour"}
    out["logo_url"] = sim.root_url + p["logo_url"]
    out["created_at"] = out["updated_at"] = "2020-01-01T00:00:00Z"
    return out


def consent(sim, c):
    return {
        "id": c.id,
        "connection_id": c.connection_id,
        "customer_id": c.customer_id,
        "scopes": list(c.scopes),
        "status": c.status(sim.now()),
        "period_days": c.period_days,
        "expires_at": when(c.expires_at),
        "from_date": day(c.from_date),
        "to_date": c.to_date,
        "collected_by": c.collected_by,
        "revoked_at": when(c.revoked_at),
        "revoke_reason": c.revoke_reason,
        "created_at": when(c.created_at),
        "updated_at": when(c.updated_at),
    }


def attempt(a):
    return {
        "id": a.id,
        "consent_id": a.consent_id,
        "custom_fields": dict(a.custom_fields),
        "fetch_scopes": list(a.fetch_scopes),
        "from_date": a.from_date,
        "to_date": None,
        "finished": a.finished,
        "interactive": a.interactive,
        "user_present": a.interactive,
        "automatic_fetch": not a.interactive,
        "partial": False,
        "api_mode": "service",
        "api_version": "6",
        "locale": "en",
        "success_at": when(a.success_at),
        "fail_at": when(a.fail_at),
        "fail_error_class": a.fail_error_class,
        "fail_message": a.fail_message,
        "created_at": when(a.created_at),
        "updated_at": when(a.updated_at),
        "last_stage": {"name": a.stage, "created_at": when(a.stage_at)},
    }


def connection_status(sim, conn):
    if conn.disabled:
        return "disabled"
    last = sim.world.consents.get(conn.last_consent_id)
    if conn.needs_user or last is None or last.status(sim.now()) != "active":
        return "inactive"
    return "active"


def connection(sim, conn):
    p = sim.world.providers[conn.provider_code]
    last = conn.last_attempt
    return {
        "id": conn.id,
        "customer_id": conn.customer_id,
        "customer_identifier": conn.customer_identifier,
        "provider_code": p["code"],
        "provider_name": p["name"],
        "country_code": p["country_code"],
        "status": connection_status(sim, conn),
        "automatic_refresh": conn.automatic_refresh,
        "categorization": conn.categorization,
        "categorization_vendor": "saltedge",
        "next_refresh_possible_at": when(conn.next_refresh_possible_at),
        "last_consent_id": conn.last_consent_id,
        "last_attempt": attempt(last) if last else None,
        "created_at": when(conn.created_at),
        "updated_at": when(conn.updated_at),
    }


def account(a):
    spec = a.spec
    return {
        "id": a.id,
        "connection_id": a.connection_id,
        "name": spec["name"],
        "nature": spec["nature"],
        "balance": a.balance,
        "currency_code": spec["currency"],
        "extra": {
            "iban": spec["iban"],
            "swift": spec["bic"],
            "status": "active",
            "holder_name": HOLDER,
            "account_name": spec["name"],
            "account_number": spec["iban"][4:],
            "transactions_count": {"posted": len(a.txns), "pending": len(a.pending)},
            "last_posted_transaction_id": a.txns[-1].id if a.txns else None,
        },
        "created_at": when(a.created_at),
        "updated_at": when(a.updated_at),
    }


def transaction(sim, tid, account, row, created_at, duplicated, status="posted"):
    """One transaction; ``row`` is the bank's (:class:`.bank.BankTxn`)."""
    side = "payee" if row.amount < 0 else "payer"
    name, number = row.counterpart_name, row.counterpart_iban
    extra = {
        "id": row.bank_id,
        "end_to_end_id": row.end_to_end_id,
        "posting_date": day(row.posting_date),
        "information": row.information,
        "additional": row.additional,
        "account_number": account.spec["iban"],
        "possible_duplicate": bool(duplicated),
        "account_balance_snapshot": row.balance_after if status == "posted" else None,
    }
    where = sim.counterpart_iban_field
    if where == "payee":  # the number where the name would be, the name beside it
        extra[side], extra[f"{side}_information"] = number or name, name
    else:
        extra[side] = name
        if where:
            extra[f"{side}_information"] = number
    return {
        "id": tid,
        "account_id": account.id,
        "duplicated": duplicated,
        "mode": row.mode,
        "status": status,
        "made_on": day(row.made_on),
        "amount": row.amount,
        "currency_code": row.currency,
        "description": row.description,
        "category": row.category,
        "extra": {k: v for k, v in extra.items() if v is not None},
        "created_at": when(created_at),
        "updated_at": when(created_at),
    }


def page(sim, req, items, shape):
    """A page of ``items`` (ascending id) from ``from_id`` (inclusive unless
    ``from_id_inclusive`` is off), ``per_page`` long (``page_size`` by
    default, at most ``max_per_page``)."""
    size = req.q("per_page")
    try:
        size = int(size) if size not in (None, "") else int(sim.page_size)
    except ValueError:
        raise SaltEdgeError("ValueOutOfRange", "per_page must be a number.") from None
    if size < 1:
        raise SaltEdgeError("ValueOutOfRange", "per_page must be positive.")
    size = min(size, int(sim.max_per_page))
    start = req.q("from_id")
    if start not in (None, ""):
        if not start.isdigit():
            raise SaltEdgeError("ValueOutOfRange", "from_id must be an id.")
        low = int(start)
        items = [
            i
            for i in items
            if int(i.id) > low or (sim.from_id_inclusive and int(i.id) == low)
        ]
    chunk, rest = items[:size], items[size:]
    next_id = None
    if rest:
        next_id = rest[0].id if sim.from_id_inclusive else chunk[-1].id
    return {
        "data": [shape(i) for i in chunk],
        "meta": {"next_id": next_id, "next_page": next_page(req, next_id)},
    }


def next_page(req, next_id):
    if next_id is None:
        return None
    pairs = [(k, v) for k, v in req.query_pairs if k != "from_id"]
    pairs.append(("from_id", next_id))
    return f"{API_PREFIX}{req.route}?{urlencode(pairs)}"
