"""``/accounts`` and ``/transactions`` of a connection.

Transactions: posted ones (the ``duplicated`` ones included) in ascending id,
paged with ``from_id``; ``pending=true`` gives the pending ones only, with new
ids at every listing (unstable, as Salt Edge re-creates them at each fetch),
all on one page; ``duplicated=true`` the duplicated ones only."""

from ..ponto.responses import json_response
from . import serialize
from .errors import SaltEdgeError
from .routes_connections import connection_of
from .routes_customers import customer_of


def _accounts(sim, req):
    world = sim.world
    if req.q("connection_id"):
        conn = connection_of(sim, req.q("connection_id"))
        return [world.accounts[a] for a in conn.account_ids]
    if req.q("customer_id"):
        customer = customer_of(sim, req.q("customer_id"))
        return [
            world.accounts[a]
            for c in world.connections.values()
            if c.customer_id == customer.id
            for a in c.account_ids
        ]
    raise SaltEdgeError("WrongRequestFormat", "connection_id is required.")


def accounts(sim, req):
    found = sorted(_accounts(sim, req), key=lambda a: int(a.id))
    return json_response(200, serialize.page(sim, req, found, serialize.account))


class _Pending:
    def __init__(self, id, account, row):
        self.id, self.account, self.row = id, account, row


def transactions(sim, req):
    if not req.q("connection_id"):
        raise SaltEdgeError("WrongRequestFormat", "connection_id is required.")
    found = _accounts(sim, req)
    wanted = req.q("account_id")
    if wanted:
        found = [a for a in found if a.id == wanted]
        if not found:
            raise SaltEdgeError(
                "AccountNotFound", f"Account with id: '{wanted}' was not found."
            )
    by_id = {a.id: a for a in found}
    now = sim.now()
    if req.q("pending", "").lower() == "true":
        rows = [
            _Pending(sim.world.next_id(), account, row)
            for account in found
            for row in account.pending
        ]
        data = [
            serialize.transaction(sim, p.id, p.account, p.row, now, False, "pending")
            for p in rows
        ]
        return json_response(200, {"data": data, "meta": dict(serialize.LAST_PAGE)})
    txns = sorted((t for a in found for t in a.txns), key=lambda t: int(t.id))
    if req.q("duplicated", "").lower() == "true":
        txns = [t for t in txns if t.duplicated]

    def shape(t):
        return serialize.transaction(
            sim, t.id, by_id[t.account_id], t.bank, t.created_at, t.duplicated
        )

    return json_response(200, serialize.page(sim, req, txns, shape))


ROUTES = [
    ("api", "GET", r"/accounts", accounts),
    ("api", "GET", r"/transactions", transactions),
]
