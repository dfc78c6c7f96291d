"""``/_control/*``: a small JSON control surface for out-of-process use
(``make demo``, manual tries). No credentials, no signature.

GET    /_control/seed                          seed_info()
POST   /_control/reset | /_control/checkpoint
POST   /_control/advance     {"days": d, "hours": h, "minutes": m, "seconds": s}
POST   /_control/knobs       {"refresh_polls": 0, ...}    (known knobs only)
GET    /_control/callbacks   {"urls": ..., "deliveries": [...]}
POST   /_control/callbacks   {"success": url, "fail": url, ...}
POST   /_control/callbacks/send  {"kind", "connection_id", ...data}
POST   /_control/public-key  {"pem": "-----BEGIN PUBLIC KEY-----..."} (null: none)
GET|POST|DELETE /_control/faults   (POST: add_fault keywords) -> 201
GET|DELETE /_control/requests
POST   /_control/accounts/{account}/transactions
           {"count": n} | {"transactions": [..]}, "pending": bool, "fetched": bool
POST   /_control/connections             {"customer_id"|"identifier", "provider_code"}
POST   /_control/connections/{id}/expire-consent | /revoke-consent | /finish-refresh
DELETE /_control/connections/{id}        remove_connection (a destroy callback)
"""

import re

from ..ponto.responses import json_response
from ..ponto.util import iso
from .errors import SaltEdgeError


def _body(req):
    body = req.json() if req.body else {}
    if not isinstance(body, dict):
        raise SaltEdgeError("WrongRequestFormat", "A JSON object is expected.")
    return body


def _simple(sim, req, route):
    """The endpoints without a resource id; None when ``route`` is not one."""
    method = req.method
    if route == "/seed" and method == "GET":
        return sim.seed_info()
    if route == "/reset" and method == "POST":
        sim.reset()
        return {"now": iso(sim.now())}
    if route == "/checkpoint" and method == "POST":
        sim.checkpoint()
        return {"now": iso(sim.now())}
    if route == "/advance" and method == "POST":
        body = {k: float(v) for k, v in _body(req).items()}
        return {"now": iso(sim.advance(**body))}
    if route == "/knobs" and method == "POST":
        body = _body(req)
        unknown = sorted(set(body) - set(sim.KNOBS))
        if unknown:
            raise SaltEdgeError("WrongRequestFormat", f"Unknown knobs: {unknown}")
        for name, value in body.items():
            setattr(sim, name, value)
        return {name: getattr(sim, name) for name in sim.KNOBS}
    if route == "/callbacks" and method == "GET":
        return {"urls": sim.callback_urls, "deliveries": list(sim.callback_deliveries)}
    if route == "/callbacks" and method == "POST":
        return {"urls": sim.set_callback_urls(_body(req))}
    if route == "/callbacks/send" and method == "POST":
        body = _body(req)
        return sim.send_callback(body.pop("kind", "notify"), **body)
    if route == "/public-key" and method == "POST":
        sim.register_public_key(_body(req).get("pem"))
        return {"registered": sim.app_public_key is not None}
    if route == "/faults":
        if method == "POST":
            return sim.add_fault(**_body(req)).as_dict()
        if method == "DELETE":
            sim.clear_faults()
        return {"faults": [f.as_dict() for f in sim.faults.list()]}
    if route == "/requests":
        if method == "DELETE":
            sim.reset_log()
        return {"requests": [r.as_dict() for r in sim.requests]}
    if route == "/connections" and method == "POST":
        body = _body(req)
        code = body.pop("provider_code", sim.SEED_PROVIDER)
        return {"id": sim.create_connection(provider_code=code, **body)}
    return None


def _rows(rows):
    return [{"key": r.key, "amount": str(r.amount), "made_on": r.made_on.isoformat()}
            for r in rows]  # fmt: skip


def _with_id(sim, req, route):
    m = re.fullmatch(r"/accounts/([^/]+)/transactions", route)
    if m and req.method == "POST":
        body = _body(req)
        add = sim.add_pending if body.get("pending") else sim.add_transactions
        rows = add(
            m.group(1),
            int(body.get("count", 1)),
            body.get("transactions"),
            bool(body.get("fetched")),
        )
        return {"transactions": _rows(rows)}
    m = re.fullmatch(r"/connections/([^/]+)(?:/([a-z-]+))?", route)
    if m:
        conn_id, action = m.groups()
        ops = {
            ("POST", "expire-consent"): sim.expire_consent,
            ("POST", "revoke-consent"): sim.revoke_consent,
            ("POST", "finish-refresh"): sim.finish_refresh,
            ("DELETE", None): sim.remove_connection,
        }
        op = ops.get((req.method, action))
        if op is not None:
            op(conn_id)
            return {"id": conn_id}
    return None


def handle(sim, req):
    route = req.route[len("/_control") :] or "/seed"
    try:
        answer = _simple(sim, req, route)
        if answer is None:
            answer = _with_id(sim, req, route)
    except (KeyError, TypeError, ValueError) as exc:
        raise SaltEdgeError(
            "WrongRequestFormat", f"{type(exc).__name__}: {exc}"
        ) from None
    if answer is None:
        raise SaltEdgeError("RouteNotFound", "Unknown control endpoint.")
    status = (
        201 if req.method == "POST" and route in ("/faults", "/connections") else 200
    )
    return json_response(status, answer)
