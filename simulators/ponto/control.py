"""``/_sim/*``: a tiny HTTP control surface for out-of-process use (the demo).

GET    /_sim/seed                              seed_info()
POST   /_sim/faults        {add_fault kwargs}  -> 201
GET    /_sim/faults
DELETE /_sim/faults
POST   /_sim/advance       {"seconds": s, "days": d}
POST   /_sim/knobs         {"sync_polls": 0, ...}   (known knobs only)
POST   /_sim/bank/{account_id}/transactions
           {"count": n} | {"transactions": [..]}, optional "pending": true
PATCH  /_sim/bank/{account_id}/transactions/{transaction_id}  {attribute changes}
POST   /_sim/accounts/{account_id}/expire-consent
POST   /_sim/accounts/{account_id}/provider-sync   Ponto reads the bank on its own
           (provider_sync(); with the knob webhook_url, its events are sent there)
POST   /_sim/webhooks      {"url", "event_type", "account_id", make_webhook keywords}
           -> 202 {"delivery": id}: signed and POSTed in a thread (deliver_webhook)
GET    /_sim/webhooks      {"deliveries": [{event_type, status, error, sent_at,
           answered_at, delivery}]}, the automatic and the asked ones, once answered
GET    /_sim/requests      DELETE /_sim/requests
GET    /_sim/tokens        refresh_token_stats() (counts only, no token)
"""

import re

from .jsonapi import ApiError
from .responses import json_response
from .util import iso


def _body(req):
    body = req.json() if req.body else {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalidJson", "A JSON object is expected.")
    return body


def handle(sim, req):
    route, method = req.route, req.method
    if route in ("/_sim", "/_sim/seed") and method == "GET":
        return json_response(200, sim.seed_info())
    if route == "/_sim/faults":
        if method == "POST":
            try:
                fault = sim.add_fault(**_body(req))
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "invalidFault", str(exc)) from exc
            return json_response(201, fault.as_dict())
        if method == "DELETE":
            sim.clear_faults()
            return json_response(200, {"faults": []})
        if method == "GET":
            return json_response(
                200, {"faults": [f.as_dict() for f in sim.faults.list()]}
            )
    if route == "/_sim/advance" and method == "POST":
        body = _body(req)
        sim.advance(
            seconds=float(body.get("seconds", 0)), days=float(body.get("days", 0))
        )
        return json_response(200, {"now": iso(sim.now())})
    if route == "/_sim/knobs" and method == "POST":
        body = _body(req)
        unknown = sorted(set(body) - set(sim.KNOBS))
        if unknown:
            raise ApiError(
                400, "unknownKnob", "Unknown knobs: {}".format(", ".join(unknown))
            )
        for name, value in body.items():
            setattr(sim, name, value)
        return json_response(200, {name: getattr(sim, name) for name in sim.KNOBS})
    if route == "/_sim/tokens" and method == "GET":
        return json_response(200, sim.refresh_token_stats())
    if route == "/_sim/requests":
        if method == "GET":
            return json_response(
                200,
                {
                    "requests": [
                        r.as_dict() for r in sim.requests if r.profile != "control"
                    ]
                },
            )
        if method == "DELETE":
            sim.reset_log()
            return json_response(200, {"requests": []})
    m = re.match(r"/_sim/bank/([^/]+)/transactions(?:/([^/]+))?\Z", route)
    if m and m.group(1) in sim.store.accounts:
        body = _body(req)
        if m.group(2) and method == "PATCH":
            try:
                sim.queue_bank_update(m.group(1), m.group(2), **body)
            except KeyError:
                raise ApiError(
                    404, "resourceNotFound", "Unknown transaction."
                ) from None
            return json_response(200, {"id": m.group(2)})
        if not m.group(2) and method == "POST":
            what = body.get("transactions") or int(body.get("count", 1))
            ids = sim.queue_bank_transactions(
                m.group(1), what, pending=bool(body.get("pending"))
            )
            return json_response(201, {"ids": ids})
    if route == "/_sim/webhooks":
        if method == "POST":
            return _send_webhook(sim, _body(req))
        if method == "GET":
            names = ("event_type", "status", "error", "sent_at", "answered_at")
            deliveries = [
                {**dict(zip(names, d, strict=False)), "delivery": d[5]}
                for d in list(sim.webhook_deliveries)
            ]
            return json_response(200, {"deliveries": deliveries})
    m = re.match(r"/_sim/accounts/([^/]+)/provider-sync\Z", route)
    if m and method == "POST" and m.group(1) in sim.store.accounts:
        return json_response(200, {"status": sim.provider_sync(m.group(1))})
    m = re.match(r"/_sim/accounts/([^/]+)/expire-consent\Z", route)
    if m and method == "POST" and m.group(1) in sim.store.accounts:
        sim.expire_consent(m.group(1))
        return json_response(200, {"id": m.group(1)})
    raise ApiError(404, "resourceNotFound", "Unknown control endpoint.")


#: the keywords of make_webhook a control request may give
WEBHOOK_OPTIONS = (
    "issued_at",
    "ttl",
    "audience",
    "tamper_body",
    "forge_signature",
    "kid",
    "synchronization_id",
    "attributes",
    "count",
    "subtype",
    "event_id",
)


def _send_webhook(sim, body):
    url, event_type = body.get("url"), body.get("event_type")
    if not (isinstance(url, str) and isinstance(event_type, str)):
        raise ApiError(400, "invalidWebhook", "url and event_type are required.")
    unknown = sorted(set(body) - {"url", "event_type", "account_id", *WEBHOOK_OPTIONS})
    if unknown:
        raise ApiError(400, "invalidWebhook", "Unknown keys: " + ", ".join(unknown))
    options = {k: body[k] for k in WEBHOOK_OPTIONS if k in body}
    signed, signature = sim.make_webhook(event_type, body.get("account_id"), **options)
    delivery = sim.deliver_webhook(url, event_type, signed, signature)
    return json_response(202, {"delivery": delivery})
