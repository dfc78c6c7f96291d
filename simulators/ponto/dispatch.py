"""The request pipeline: profile detection, request log, faults, mutual TLS,
request signatures, routing and error rendering."""

import fnmatch
import re
import time
import traceback
from urllib.parse import parse_qs, unquote, urlsplit

from . import control, faults, routes_data, routes_sync, signing
from .jsonapi import ApiError, OAuthError
from .responses import Response, json_response
from .util import dumps, iso

CONNECT_PREFIX = "/ponto-connect"
ROUTES = [
    (kind, method, re.compile(pattern + r"\Z"), func)
    for kind, method, pattern, func in routes_data.ROUTES + routes_sync.ROUTES
]
KINDS = {"connect": ("api", "connect"), "api": ("api", "page")}
DROP = object()


class Base:
    def __init__(self, root, api):
        self.root, self.api = root, api


class RequestRecord:
    """One logged request.  Also readable like a dict (``record["status"]``)."""

    FIELDS = (
        "method",
        "path",
        "target",
        "route",
        "query",
        "status",
        "headers",
        "profile",
        "signature_valid",
        "signature_reason",
        "client_cert_cn",
        "request_id",
        "fault",
        "time",
        "body",
    )

    def __init__(self, **kw):
        for name in self.FIELDS:
            setattr(self, name, kw.get(name))

    def __getitem__(self, name):
        return getattr(self, name)

    def get(self, name, default=None):
        return getattr(self, name, default)

    @property
    def body_json(self):
        import json

        try:
            return json.loads((self.body or b"").decode("utf-8"))
        except ValueError:
            return None

    def as_dict(self):
        out = {name: getattr(self, name) for name in self.FIELDS}
        out["body"] = (self.body or b"").decode("utf-8", "replace")
        return out

    def matches(self, method=None, path_glob=None, status=None, profile=None):
        if method and self.method != method.upper():
            return False
        if status is not None and self.status != status:
            return False
        if profile and self.profile != profile:
            return False
        return (
            not path_glob
            or fnmatch.fnmatchcase(self.route, path_glob)
            or fnmatch.fnmatchcase(self.path, path_glob)
        )

    def __repr__(self):
        return f"<{self.method} {self.path} -> {self.status}>"

    @classmethod
    def logged(cls, sim, req, query):
        """The record of ``req`` (``method``, ``target``, ``headers``, ``body``,
        ``client_cn``, ``path``, ``route``, ``profile``), in ``sim``'s log at
        once; its ``status`` is set when it is answered."""
        record = cls(
            method=req.method,
            path=req.path,
            target=req.target,
            route=req.route,
            query=query,
            headers=dict(req.headers),
            profile=req.profile,
            client_cert_cn=req.client_cn,
            request_id=sim.next_request_id(),
            time=iso(sim.now()),
            body=req.body,
        )
        sim.log_request(record)
        return record


class Req:
    def __init__(self, sim, method, target, headers, body, client_cn):
        self.sim, self.method, self.target, self.body = sim, method, target, body
        self.headers, self.client_cn = headers, client_cn
        split = urlsplit(target)
        self.path = unquote(split.path)
        self.query = parse_qs(split.query, keep_blank_values=True)
        if self.path == CONNECT_PREFIX or self.path.startswith(CONNECT_PREFIX + "/"):
            self.profile, self.route = "connect", self.path[len(CONNECT_PREFIX) :]
        elif self.path == "/_sim" or self.path.startswith("/_sim/"):
            self.profile, self.route = "control", self.path
        else:
            self.profile, self.route = "api", self.path
        self.route = self.route.rstrip("/") or "/"
        api = sim.connect_url if self.profile == "connect" else sim.root_url
        self.base = Base(sim.root_url, api)
        self.params = {}

    def q(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        import json

        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except ValueError:
            raise ApiError(
                400, "invalidJson", "The request body is not valid JSON."
            ) from None


def _match(req):
    allowed = KINDS.get(req.profile, ())
    other_method = False
    for kind, method, regex, func in ROUTES:
        if kind in allowed:
            m = regex.match(req.route)
            if m:
                if method == req.method:
                    return kind, func, m.groupdict(), False
                other_method = True
    return None, None, None, other_method


def _error(req_id, err):
    if isinstance(err, OAuthError):
        body = {"error": err.error, "error_description": err.description}
        if err.hint:
            body["error_hint"] = err.hint
        return json_response(err.status, body)
    meta = dict(err.meta)
    meta["requestId"] = req_id
    return json_response(
        err.status,
        {"errors": [{"code": err.code, "detail": err.detail, "meta": meta}]},
        err.headers,
    )


def _fault_response(fault, req_id):
    if fault.kind == "429":  # retry_after=None: no Retry-After header at all
        headers = (
            {"Retry-After": str(fault.retry_after)}
            if fault.retry_after is not None
            else {}
        )
        return _error(
            req_id,
            ApiError(429, "tooManyRequests", "Too many requests.", {}, headers),
        )
    if fault.kind == "500":
        return _error(
            req_id,
            ApiError(500, "internalServerError", "An unexpected error occurred."),
        )
    if fault.kind == "503":
        headers = (
            {"Retry-After": str(fault.retry_after)}
            if fault.retry_after is not None
            else {}
        )
        return _error(
            req_id,
            ApiError(
                503,
                "serviceUnavailable",
                "The service is temporarily unavailable.",
                {},
                headers,
            ),
        )
    if fault.kind == "504":
        # [U] Ponto's body for a gateway timeout is not documented
        return _error(
            req_id, ApiError(504, "gatewayTimeout", "The upstream did not answer.")
        )
    if fault.kind == "invalid_grant":
        return _error(
            req_id,
            OAuthError(
                400,
                "invalid_grant",
                "The provided authorization grant or refresh token is invalid.",
                "Refused by an injected fault.",
            ),
        )
    if fault.kind == "drop":
        return DROP
    return None


def _garble(fault, resp):
    if resp is DROP or resp.status >= 400:
        return resp
    if fault.kind == "malformed":
        return Response(
            200, b'{"data": [{"type": "transaction", "id": "', "application/json"
        )
    if fault.kind in ("duplicate_ids", "bad_transaction"):
        if not isinstance(resp.obj, dict):
            return resp
        change = (
            faults.duplicate_one if fault.kind == "duplicate_ids" else faults.break_one
        )
        return json_response(resp.status, change(fault, resp.obj), resp.headers)
    if fault.variant == "no_attributes" and isinstance(resp.obj, dict):
        return json_response(200, faults.strip_required(resp.obj))
    return json_response(200, {"links": {}, "meta": {}})


def handle(sim, method, target, headers, body, client_cn):
    """Returns ``(response or DROP, record)``."""
    req = Req(sim, method, target, headers, body, client_cn)
    query = {k: v[0] if len(v) == 1 else v for k, v in req.query.items()}
    record = RequestRecord.logged(sim, req, query)
    req_id = record.request_id
    try:
        if req.profile == "control":
            with sim.lock:
                resp = control.handle(sim, req)
        else:
            resp = _run(sim, req, record, req_id)
    except (ApiError, OAuthError) as err:
        resp = _error(req_id, err)
    except Exception:  # a simulator bug: say so loudly
        sim.errors.append(traceback.format_exc())
        resp = _error(req_id, ApiError(500, "internalServerError", "Simulator error."))
    if resp is not DROP:
        resp.headers["ibanity-request-id"] = req_id
    record.status = 0 if resp is DROP else resp.status
    return resp, record


def _run(sim, req, record, req_id):
    kind, func, params, other_method = _match(req)
    if kind == "page":
        req.profile = record.profile = "page"
    fault = sim.faults.take(req.method, req.route, req.profile)
    if fault is not None:
        record.fault = fault.kind
        if fault.kind == "slow":
            time.sleep(fault.delay)
        resp = _fault_response(fault, req_id)
        if resp is not None:
            return resp
        if fault.kind in ("sync_error", "sync_stuck") and req.route.startswith(
            "/synchronizations"
        ):
            with sim.lock:
                faults.prime_sync_error(sim, fault, req)
    if req.profile in ("api", "connect"):
        need = sim.require_client_cert
        if (need is True or need == req.profile) and not req.client_cn:
            # [U] status/code: Ibanity refuses at the TLS layer; we answer 401 JSON:API.
            raise ApiError(
                401,
                "clientCertificateRequired",
                "A valid client certificate issued for this application is required.",
            )
        if "signature" in req.headers:
            ok, reason = signing.verify(
                sim.signature_keys,
                req.method,
                req.target,
                req.headers,
                req.body,
                sim.now().timestamp(),
                sim.signature_max_skew_s,
            )
            record.signature_valid, record.signature_reason = ok, reason
            if not ok:
                raise ApiError(
                    401,
                    "invalidSignature",
                    f"The request signature is invalid: {reason}.",
                )  # [U] code
        elif sim.signature_required == "always":
            record.signature_reason = "missing"
            raise ApiError(
                401,
                "invalidSignature",
                "This request must be signed (Digest and Signature headers).",
            )  # [U] code
    if func is None:
        if other_method:
            raise ApiError(405, "methodNotAllowed", "Method not allowed.")  # [U]
        raise ApiError(404, "resourceNotFound", "The requested resource was not found.")
    req.params = params
    key = (
        req.headers.get("ibanity-idempotency-key")
        if req.method in ("POST", "PATCH")
        else None
    )
    with sim.lock:
        cached = sim.idempotency.get(key) if key else None
        # [U] replay semantics: same key + same method/path -> the first answer
        # again (the body is not compared), for idempotency_window_s.
        if (
            cached is not None
            and cached[0] == (req.method, req.path)
            and (sim.now() - cached[1]).total_seconds() < sim.idempotency_window_s
        ):
            record.fault = record.fault or "idempotent-replay"
            return cached[2]
        resp = func(sim, req)
        if key and resp.status < 500:
            sim.idempotency[key] = ((req.method, req.path), sim.now(), resp)
    if fault is not None and fault.kind in faults.GARBLING:
        resp = _garble(fault, resp)
    if fault is not None and fault.kind == "drop_after":
        return DROP  # processed, but the answer is lost
    return resp


__all__ = ["DROP", "RequestRecord", "dumps", "handle"]
