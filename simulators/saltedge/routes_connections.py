"""``/connections``: connect and reconnect (a widget session), refresh, show
(a running refresh moves on), list by customer, remove."""

import datetime as _dt
import json

from ..ponto.responses import json_response
from . import attempts, serialize, widget
from .errors import SaltEdgeError, consent_class
from .routes_customers import customer_of

CONSENT_SCOPES = ("accounts", "transactions", "holder_info")
FETCH_SCOPES = ("accounts", "transactions", "balance", "holder_info")


def connection_of(sim, connection_id):
    conn = sim.world.connections.get(connection_id or "")
    if conn is None:
        raise SaltEdgeError(
            "ConnectionNotFound",
            f"Connection with id: '{connection_id}' was not found.",
        )
    return conn


def _date(value, name, today):
    if value is None:
        return
    try:
        parsed = _dt.date.fromisoformat(str(value))
    except ValueError:
        raise SaltEdgeError(
            "DateFormatInvalid", f"{name} must be a date (YYYY-MM-DD)."
        ) from None
    if parsed > today:
        raise SaltEdgeError("InvalidFromDate", f"{name} cannot be in the future.")


def _scopes(value, allowed, error_class, name):
    if not isinstance(value, list) or not value or set(value) - set(allowed):
        raise SaltEdgeError(
            error_class, "{} must be a list of {}.".format(name, ", ".join(allowed))
        )


def validate(sim, data):
    """The ``consent`` and ``attempt`` of a connect or reconnect request."""
    consent, attempt = data.get("consent"), data.get("attempt") or {}
    if not isinstance(consent, dict) or not isinstance(attempt, dict):
        raise SaltEdgeError("WrongRequestFormat", "consent and attempt are objects.")
    today = sim.now().date()
    _scopes(
        consent.get("scopes"),
        CONSENT_SCOPES,
        consent_class(sim.consent_error_prefix, "ScopesInvalid"),
        "consent.scopes",
    )
    period = consent.get("period_days")
    if period is not None and (not isinstance(period, int) or period < 1):
        raise SaltEdgeError("ValueOutOfRange", "period_days must be a positive number.")
    _date(consent.get("from_date"), "consent.from_date", today)
    _date(attempt.get("from_date"), "attempt.from_date", today)
    if "fetch_scopes" in attempt:
        _scopes(
            attempt["fetch_scopes"], FETCH_SCOPES, "FetchScopesInvalid", "fetch_scopes"
        )
    return_to = attempt.get("return_to")
    if return_to is not None and not (
        isinstance(return_to, str) and return_to.startswith(("http://", "https://"))
    ):
        raise SaltEdgeError("ReturnURLInvalid", "return_to must be an http(s) URL.")
    fields = attempt.get("custom_fields", {})
    if not isinstance(fields, dict):
        raise SaltEdgeError("CustomFieldsFormatInvalid", "custom_fields is an object.")
    if len(json.dumps(fields)) > 1024:
        raise SaltEdgeError("CustomFieldsSizeTooBig", "custom_fields is over 1 KB.")


def usable_provider(sim, code, include_sandboxes):
    p = sim.world.providers.get(code)
    if p is None or (p["country_code"] == "XF" and not include_sandboxes):
        raise SaltEdgeError(
            "ProviderNotFound", f"Provider with code: '{code}' was not found."
        )
    if p["status"] != "active":
        error = "ProviderInactive" if p["status"] == "inactive" else "ProviderDisabled"
        raise SaltEdgeError(error, f"Provider {code} is {p['status']}.")
    return p


def _session_answer(sim, session):
    body = {
        "connect_url": widget.url_of(sim, session),
        "expires_at": serialize.when(session.expires_at),
        "customer_id": session.customer_id,
    }
    return json_response(200, {"data": body})


def connect(sim, req):
    data = req.data()
    customer = customer_of(sim, data.get("customer_id"))
    validate(sim, data)
    provider = data.get("provider") or {}
    if not isinstance(provider, dict):
        raise SaltEdgeError("WrongRequestFormat", "provider is an object.")
    if provider.get("code"):
        usable_provider(sim, provider["code"], provider.get("include_sandboxes"))
    return _session_answer(sim, widget.open_session(sim, "connect", customer.id, data))


def reconnect(sim, req):
    conn = connection_of(sim, req.params["id"])
    data = req.data()
    if conn.disabled:
        raise SaltEdgeError("ConnectionDisabled", "The connection is disabled.")
    validate(sim, data)
    data = dict(data, provider={"code": conn.provider_code, "include_sandboxes": True})
    session = widget.open_session(sim, "reconnect", conn.customer_id, data, conn.id)
    return _session_answer(sim, session)


def refresh(sim, req):
    conn = connection_of(sim, req.params["id"])
    request = req.data().get("attempt") or {}
    if not isinstance(request, dict):
        raise SaltEdgeError("WrongRequestFormat", "attempt is an object.")
    if "fetch_scopes" in request:
        _scopes(
            request["fetch_scopes"], FETCH_SCOPES, "FetchScopesInvalid", "fetch_scopes"
        )
    attempts.check_refresh(sim, conn, sim.now())
    attempt = attempts.start_refresh(sim, conn, request, sim.take_failure(req))
    sim.finish_later(conn.id, attempt.id)
    return json_response(200, {"data": serialize.connection(sim, conn)})


def show(sim, req):
    conn = connection_of(sim, req.params["id"])
    attempts.poll(sim, conn)
    return json_response(200, {"data": serialize.connection(sim, conn)})


def index(sim, req):
    customer = customer_of(sim, req.q("customer_id"))
    conns = [c for c in sim.world.connections.values() if c.customer_id == customer.id]

    def shape(conn):
        return serialize.connection(sim, conn)

    return json_response(200, serialize.page(sim, req, conns, shape))


def remove(sim, req):
    conn = connection_of(sim, req.params["id"])
    sim.drop_connection(conn.id, destroy=sim.destroy_on_delete)
    return json_response(200, {"data": {"removed": True, "id": conn.id}})


ROUTES = [
    ("api", "POST", r"/connections/connect", connect),
    ("api", "POST", r"/connections/(?P<id>[^/]+)/reconnect", reconnect),
    ("api", "POST", r"/connections/(?P<id>[^/]+)/refresh", refresh),
    ("api", "GET", r"/connections", index),
    ("api", "GET", r"/connections/(?P<id>[^/]+)", show),
    ("api", "DELETE", r"/connections/(?P<id>[^/]+)", remove),
]
