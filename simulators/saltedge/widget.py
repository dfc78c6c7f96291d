"""The widget behind a ``connect_url``: ``GET /connect/<token>`` and one page
per stage, each form POSTing to its own stage and redirected to the next:
start (Business/Personal) -> connect (terms) -> interactive (the bank's login:
Authorize or Deny) -> fetching -> finish ("Return to your application" to
``return_to`` + ``connection_id``, or ``error_class``/``error_message``).

Authorize ends the attempt at once (:func:`.attempts.establish`): the
connection exists, its data imported and its callbacks queued, while the user
still looks at the fetching page. With ``auto_approve_pages`` the first GET
does all of it and redirects to the return URL (a test convenience); with
``autoplay_pages`` every page is shown and plays itself in a real browser
(:mod:`.pages`).
"""

import datetime as _dt
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..ponto.responses import html_response, redirect
from ..ponto.util import sim_uuid
from . import attempts, pages
from .routes_providers import listed
from .seed import HOLDER
from .store import Session

DENIED = ("ProviderAccessNotGranted", "The customer did not grant access at the bank.")


def open_session(sim, kind, customer_id, data, connection_id=None):
    world = sim.world
    token = sim_uuid("connect-session", world.seed, world.next_id()).replace("-", "")
    expires = sim.now() + _dt.timedelta(seconds=sim.connect_session_ttl_s)
    session = Session(token, kind, customer_id, data, expires, connection_id)
    world.sessions[token] = session
    return session


def url_of(sim, session, stage=None):
    return "{}/connect/{}{}".format(
        sim.root_url, session.token, f"/{stage}" if stage else ""
    )


def return_url(sim, session):
    """``return_to`` with the outcome appended to its query."""
    if not session.return_to:
        return None
    outcome = session.outcome or {}
    if "connection_id" in outcome:
        extra = (
            [("connection_id", outcome["connection_id"])]
            if sim.return_connection_id
            else []
        )
    else:
        extra = [
            ("error_class", outcome.get("error_class", "")),
            ("error_message", outcome.get("error_message", "")),
        ]
    parts = urlsplit(session.return_to)
    query = "&".join(q for q in (parts.query, urlencode(extra)) if q)
    return urlunsplit(parts._replace(query=query))


def authorize(sim, req, session, decision):
    """The user's answer at the bank ends the session's attempt."""
    world = sim.world
    customer = world.customers.get(session.customer_id)
    conn = None
    failure = DENIED if decision != "authorize" else sim.take_failure(req)
    if session.kind == "reconnect":
        conn = world.connections.get(session.connection_id)
        if conn is None:
            failure = ("ConnectionNotFound", "The connection was removed.")
    if customer is None:
        failure = ("CustomerNotFound", "The customer was removed.")
    if customer is not None and (conn is not None or session.kind == "connect"):
        data = {"consent": session.consent, "attempt": session.attempt}
        provider = world.providers[session.provider_code]
        conn = attempts.establish(
            sim, session.kind, customer, provider, data, conn, failure=failure
        )
    if conn is not None and session.account_type:
        conn.categorization = session.account_type
    session.stage = "finish"
    if failure:
        session.outcome = {"error_class": failure[0], "error_message": failure[1]}
    else:
        session.outcome = {"connection_id": conn.id}


def _session(sim, req):
    session = sim.world.sessions.get(req.params["token"])
    if session is None:
        return None, html_response(
            404, pages.problem("Unknown session", "This link is not valid.")
        )
    if session.stage != "finish" and sim.now() > session.expires_at:
        return None, html_response(
            410, pages.problem("Session expired", "This link has expired.")
        )
    return session, None


def _consent_summary(sim, session, provider):
    period = session.consent.get("period_days")
    cap = provider["max_consent_days"]
    days = cap if period is None else (period if cap is None else min(period, cap))
    asked = session.consent.get("from_date") or session.attempt.get("from_date")
    start = attempts.fetch_start(
        provider, asked and _dt.date.fromisoformat(asked), sim.now().date()
    )
    scopes = session.consent.get("scopes") or []
    return {"scopes": scopes, "days": days, "from_date": start.isoformat()}


def _render(sim, session, stage):
    provider = sim.world.providers.get(session.provider_code or "")
    action = url_of(sim, session, stage)
    play = {"autoplay": bool(sim.autoplay_pages)}
    if stage == "start":
        choices = listed(sim, None, session.include_sandboxes, widget=True)
        return pages.start(action, provider, choices, session.error, **play)
    if stage == "connect":
        summary = _consent_summary(sim, session, provider)
        return pages.connect(action, provider, summary, session.error, **play)
    if stage == "interactive":
        return pages.interactive(action, provider, HOLDER, **play)
    if stage == "fetching":
        return pages.fetching(url_of(sim, session, "finish"), provider, **play)
    outcome = session.outcome or {}
    conn = sim.world.connections.get(outcome.get("connection_id") or "")
    accounts = [sim.world.accounts[a].spec for a in conn.account_ids] if conn else []
    return pages.finish(
        return_url(sim, session),
        provider,
        accounts,
        outcome.get("error_message"),
        **play,
    )


def show(sim, req):
    session, problem = _session(sim, req)
    if problem:
        return problem
    if sim.auto_approve_pages and session.stage != "finish":
        session.account_type = session.account_type or "business"
        if session.provider_code is None:
            session.provider_code = listed(sim, "BE", False, widget=True)[0]["code"]
        authorize(sim, req, session, "authorize")
        return redirect(return_url(sim, session) or url_of(sim, session, "finish"))
    stage = req.params.get("stage") or session.stage
    done = session.stage == "finish" and "connection_id" in (session.outcome or {})
    if stage == "fetching" and done:
        return html_response(200, _render(sim, session, "fetching"))
    if stage != session.stage:
        return redirect(url_of(sim, session, session.stage))
    page = _render(sim, session, stage)
    session.error = None
    return html_response(200, page)


def submit(sim, req):
    session, problem = _session(sim, req)
    if problem:
        return problem
    stage, form = req.params.get("stage") or "start", req.form()
    if stage != session.stage:
        return redirect(url_of(sim, session, session.stage))
    if stage == "start":
        choices = {
            p["code"] for p in listed(sim, None, session.include_sandboxes, True)
        }
        code = session.provider_code or form.get("provider_code")
        if form.get("account_type") not in ("business", "personal"):
            session.error = "Choose Business or Personal."
        elif session.kind == "connect" and code not in choices:
            session.error = "Choose your bank."
        else:
            session.account_type, session.provider_code = form["account_type"], code
            session.stage = "connect"
    elif stage == "connect":
        if form.get("terms") != "accepted":
            session.error = "Please accept the terms to go on."
        else:
            session.stage = "interactive"
    elif stage == "interactive":
        authorize(sim, req, session, form.get("decision"))
        if "connection_id" in session.outcome:
            return redirect(url_of(sim, session, "fetching"))
    return redirect(url_of(sim, session, session.stage))


ROUTES = [
    ("widget", "GET", r"/connect/(?P<token>[^/]+)(?:/(?P<stage>[a-z]+))?", show),
    ("widget", "POST", r"/connect/(?P<token>[^/]+)(?:/(?P<stage>[a-z]+))?", submit),
]
