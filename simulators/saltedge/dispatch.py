"""The request pipeline: what a request is (API, widget page, control,
logo), the request log, faults, credentials and signatures, routing, and
Salt Edge's error envelope."""

import json
import re
import time
import traceback
from urllib.parse import parse_qsl, unquote, urlsplit

from ..ponto.dispatch import DROP, RequestRecord
from ..ponto.responses import Response, json_response
from . import (
    auth,
    control,
    routes_connections,
    routes_consents,
    routes_customers,
    routes_data,
    routes_providers,
    widget,
)
from .errors import SaltEdgeError, envelope
from .serialize import API_PREFIX

ROUTES = [
    (profile, method, re.compile(pattern + r"\Z"), func)
    for profile, method, pattern, func in (
        *routes_customers.ROUTES,
        *routes_providers.ROUTES,
        *routes_connections.ROUTES,
        *routes_consents.ROUTES,
        *routes_data.ROUTES,
        *widget.ROUTES,
    )
]


class Req:
    def __init__(self, sim, method, target, headers, body, client_cn=None):
        self.sim, self.method, self.target = sim, method, target
        self.headers, self.body, self.client_cn = headers, body, client_cn
        split = urlsplit(target)
        self.path = unquote(split.path)
        self.query_pairs = parse_qsl(split.query, keep_blank_values=True)
        self.query = dict(self.query_pairs)
        if self.path == API_PREFIX or self.path.startswith(API_PREFIX + "/"):
            self.profile, self.route = "api", self.path[len(API_PREFIX) :]
        elif self.path.startswith("/_control"):
            self.profile, self.route = "control", self.path
        elif self.path.startswith("/connect/"):
            self.profile, self.route = "widget", self.path
        else:
            self.profile, self.route = "static", self.path
        self.route = self.route.rstrip("/") or "/"
        self.params = {}
        self.attempt_failure = None  # set by an attempt_fail fault

    def q(self, name, default=None):
        return self.query.get(name, default)

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except ValueError:
            raise SaltEdgeError(
                "JsonParseError", "The body is not valid JSON."
            ) from None

    def data(self):
        """The body's ``data`` object (``{}`` when there is no body)."""
        body = self.json() if self.body else {"data": {}}
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise SaltEdgeError(
                "WrongRequestFormat", 'The body must be {"data": {...}}.'
            )
        return data

    def form(self):
        return dict(parse_qsl(self.body.decode("utf-8", "replace")))


def _match(req):
    other_method = False
    for profile, method, regex, func in ROUTES:
        if profile != req.profile:
            continue
        m = regex.match(req.route)
        if m:
            if method == req.method:
                return func, m.groupdict(), False
            other_method = True
    return None, None, other_method


def error_response(req, err):
    echo = {**req.query, **req.params} if req is not None else {}
    return json_response(err.status, envelope(err, echo), err.headers)


def handle(sim, method, target, headers, body, client_cn=None):
    """Returns ``(response or DROP, record)``."""
    req = Req(sim, method, target, headers, body, client_cn)
    record = RequestRecord.logged(sim, req, dict(req.query))
    try:
        if req.profile == "control":
            with sim.lock:
                resp = control.handle(sim, req)
        else:
            resp = _run(sim, req, record)
    except SaltEdgeError as err:
        resp = error_response(req, err)
    except Exception:  # a simulator bug: say so loudly
        sim.errors.append(traceback.format_exc())
        resp = error_response(
            req, SaltEdgeError("InternalServerError", "Simulator error.")
        )
    record.status = 0 if resp is DROP else resp.status
    return resp, record


def _run(sim, req, record):
    func, params, other_method = _match(req)
    fault = sim.faults.take(req.method, req.route, req.profile)
    if fault is not None:
        record.fault = fault.kind
        if fault.delay:
            time.sleep(fault.delay)
        if fault.kind == "drop":
            return DROP
        if fault.kind == "error":
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            raise SaltEdgeError(fault.error_class, fault.message, fault.status, headers)
        if fault.kind == "attempt_fail":
            req.attempt_failure = fault.failure
    if req.profile == "api":
        auth.check_client(sim, req.headers)
        auth.check_signature(sim, req, record)
    if func is None:
        if other_method:
            raise SaltEdgeError("RouteNotFound", "Method not allowed.", 405)
        raise SaltEdgeError("RouteNotFound", f"Route {req.path} not found.")
    req.params = params
    with sim.lock:
        resp = func(sim, req)
    if fault is not None and fault.kind == "malformed" and resp.status < 400:
        resp = Response(resp.status, resp.body[: len(resp.body) // 2])
    if fault is not None and fault.kind == "drop_after":
        return DROP
    return resp
