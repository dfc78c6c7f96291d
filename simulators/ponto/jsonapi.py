"""JSON:API envelopes, serializers, cursor paging and the two error shapes."""

from urllib.parse import urlencode

from .util import iso


class ApiError(Exception):
    """Rendered as ``{"errors": [{"code", "detail", "meta": {"requestId", ...}}]}``."""

    def __init__(self, status, code, detail, meta=None, headers=None):
        super().__init__(code)
        self.status, self.code, self.detail = status, code, detail
        self.meta = dict(meta or {})
        self.headers = dict(headers or {})


class OAuthError(Exception):
    """Rendered as plain OAuth JSON ``{"error", "error_description", "error_hint"}``."""

    def __init__(self, status, error, description, hint=None):
        super().__init__(error)
        self.status, self.error, self.description, self.hint = (
            status,
            error,
            description,
            hint,
        )


def invalid_token():
    return ApiError(401, "invalidAccessToken", "Your access token is invalid.")


def not_found(resource):
    return ApiError(
        404,
        "resourceNotFound",
        "The requested resource was not found.",
        {"resource": resource},
    )


def validation(attribute, detail):
    # [U] the name of Ponto's validation error code is not documented anywhere we
    # could read; "validationError" with meta.attribute is our choice.
    return ApiError(400, "validationError", detail, {"attribute": attribute})


# --- serializers -------------------------------------------------------------


def institution(base, fi, now):
    return {
        "type": "financialInstitution",
        "id": fi.id,
        "attributes": fi.attributes(base.root, now),
        "links": {"self": f"{base.api}/financial-institutions/{fi.id}"},
    }


def sync_resource(base, sync):
    res = {"type": "synchronization", "id": sync.id, "attributes": sync.attributes()}
    if sync.subtype != "accountDetails":
        url = f"{base.api}/synchronizations/{sync.id}"
        res["relationships"] = {
            "updatedTransactions": {
                "links": {
                    "related": url + "/updated-transactions",
                    "meta": {"type": "transaction"},
                }
            },
            "updatedPendingTransactions": {
                "links": {
                    "related": url + "/updated-pending-transactions",
                    "meta": {"type": "pendingTransaction"},
                }
            },
        }
    return res


def _embedded_sync(sync):
    if sync is None:
        return None
    return {"type": "synchronization", "id": sync.id, "attributes": sync.attributes()}


def account_resource(base, sim, account):
    acc_url = f"{base.api}/accounts/{account.id}"
    fi = sim.store.institutions[account.fi_id]
    latest = sim.store.syncs.get(account.latest_sync_id)
    return {
        "type": "account",
        "id": account.id,
        "attributes": account.attributes(),
        "relationships": {
            "financialInstitution": {
                "links": {"related": f"{base.api}/financial-institutions/{fi.id}"},
                "data": {"type": "financialInstitution", "id": fi.id},
            },
            "transactions": {
                "links": {
                    "related": acc_url + "/transactions",
                    "meta": {"type": "transaction"},
                }
            },
            "pendingTransactions": {
                "links": {
                    "related": acc_url + "/pending-transactions",
                    "meta": {"type": "pendingTransaction"},
                }
            },
        },
        "meta": {
            "synchronizedAt": iso(account.synchronized_at),
            "latestSynchronization": _embedded_sync(latest),
            # [I] "readonly" for both maintenance types (internal, financialInstitution)
            "availability": "readonly" if fi.in_maintenance(sim.now()) else "available",
        },
    }


def txn_resource(base, account, txn, pending=False):
    kind = "pending-transactions" if pending else "transactions"
    return {
        "type": "pendingTransaction" if pending else "transaction",
        "id": txn.id,
        "attributes": dict(txn.attrs),
        "relationships": {
            "account": {
                "links": {"related": f"{base.api}/accounts/{account.id}"},
                "data": {"type": "account", "id": account.id},
            }
        },
        "links": {"self": f"{base.api}/accounts/{account.id}/{kind}/{txn.id}"},
    }


def collection_meta(sim, account, tx_sync=True):
    sync = sim.store.syncs.get(
        account.latest_tx_sync_id if tx_sync else account.latest_sync_id
    )
    return {
        "synchronizedAt": iso(account.synchronized_at),
        "latestSynchronization": _embedded_sync(sync),
    }


# --- paging ------------------------------------------------------------------


def _param(req, name):
    return req.q(f"page[{name}]") or req.q(name)  # legacy limit/after/before too


def page(sim, req, items, url, serialize, meta=None):
    """Cursor paging over ``items`` (already in API order, newest first for
    transactions).  ``page[after]`` moves along the list (older), ``page[before]``
    back (newer).  Links use the ``page[...]`` spelling and keep other params."""
    raw_limit = _param(req, "limit")
    if raw_limit in (None, ""):
        limit = 10
    else:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise validation(
                "page[limit]", "page[limit] must be an integer between 1 and 100"
            ) from None
        limit = max(
            1, min(100, limit)
        )  # [U] out-of-range values are clamped, not refused
    limit = min(limit, max(1, int(sim.page_limit_max or 100)))  # knob, [I]
    after, before = _param(req, "after"), _param(req, "before")
    ids = [i.id for i in items]
    cursor = after or before
    if cursor and cursor not in ids:
        # [U] unknown cursor: knob unknown_cursor = "empty" (default) | "error"
        if sim.unknown_cursor == "error":
            raise validation(
                "page[after]" if after else "page[before]",
                "The cursor does not match any resource.",
            )
        start = end = len(items)
    elif after:
        start = ids.index(after) + 1
        end = min(len(items), start + limit)
    elif before:
        end = ids.index(before)
        start = max(0, end - limit)
    else:
        start, end = 0, min(len(items), limit)
    window = items[start:end]
    extra = [
        (k, v)
        for k, vs in req.query.items()
        for v in vs
        if not k.startswith("page[") and k not in ("limit", "after", "before")
    ]

    def link(**cursor_kw):
        params = [(f"page[{k}]", v) for k, v in cursor_kw.items()] + [
            ("page[limit]", limit)
        ]
        return url + "?" + urlencode(params + extra, safe="[]")

    links = {"first": link()}
    if window and end < len(items):
        links["next"] = link(after=window[-1].id)
    if window and start > 0:
        links["prev"] = link(before=window[0].id)
    body_meta = {"paging": {"limit": limit, "before": before, "after": after}}
    body_meta.update(meta or {})
    return {"data": [serialize(i) for i in window], "links": links, "meta": body_meta}
