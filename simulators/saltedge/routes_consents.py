"""``/consents``: a connection's consents (or a customer's), one of them,
and revoking one (the connection goes ``inactive``; revoking again is
``ConsentAlreadyRevoked``)."""

from ..ponto.responses import json_response
from . import serialize
from .errors import SaltEdgeError, consent_class
from .routes_connections import connection_of
from .routes_customers import customer_of


def _of_request(sim, req):
    if req.q("connection_id"):
        conn = connection_of(sim, req.q("connection_id"))
        return [sim.world.consents[c] for c in conn.consent_ids]
    customer = customer_of(sim, req.q("customer_id"))
    return [c for c in sim.world.consents.values() if c.customer_id == customer.id]


def consent_of(sim, req):
    wanted = req.params["id"]
    for consent in _of_request(sim, req):
        if consent.id == wanted:
            return consent
    raise SaltEdgeError(
        consent_class(sim.consent_error_prefix, "NotFound"),
        f"Consent with id: '{wanted}' was not found.",
    )


def index(sim, req):
    consents = sorted(_of_request(sim, req), key=lambda c: int(c.id))

    def shape(consent):
        return serialize.consent(sim, consent)

    return json_response(200, serialize.page(sim, req, consents, shape))


def show(sim, req):
    return json_response(200, {"data": serialize.consent(sim, consent_of(sim, req))})


def revoke(sim, req):
    consent = consent_of(sim, req)
    if consent.revoked_at is not None:
        raise SaltEdgeError(
            consent_class(sim.consent_error_prefix, "AlreadyRevoked"),
            "The consent has already been revoked.",
        )
    sim.revoke(consent, "client")
    return json_response(200, {"data": serialize.consent(sim, consent)})


ROUTES = [
    ("api", "GET", r"/consents", index),
    ("api", "GET", r"/consents/(?P<id>[^/]+)", show),
    ("api", "PUT", r"/consents/(?P<id>[^/]+)/revoke", revoke),
]
