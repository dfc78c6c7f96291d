"""Helpers for the client tests: build clients against a running simulator and
drive the simulator's HTML pages the way a browser would (GET the page, submit
its form), over real HTTPS."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from clients.ponto import PontoClient


class FormParser(HTMLParser):
    """Collects the first form: its action, method, fields and buttons."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.method = "get"
        self.fields = []
        self.buttons = {}
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self._in_form = True
            self.action = attrs.get("action") or ""
            self.method = (attrs.get("method") or "get").lower()
        elif not self._in_form:
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind == "submit":
                self.buttons[attrs.get("id") or attrs.get("name")] = attrs
                return
            if attrs.get("name"):
                self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "button":
            self.buttons[attrs.get("id") or attrs.get("name")] = attrs

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False


def submit_page(url, button_id, *, verify, cert=None):
    """GET an HTML page, submit its form with the given button, and return the
    ``Location`` the simulator redirects to (without following it)."""
    page = requests.get(url, verify=verify, cert=cert, timeout=10)
    page.raise_for_status()
    form = FormParser()
    form.feed(page.text)
    assert form.action is not None, f"no form on {url}"
    assert button_id in form.buttons, f"no button {button_id!r} in {form.buttons}"
    fields = list(form.fields)
    button = form.buttons[button_id]
    if button.get("name"):
        fields.append((button["name"], button.get("value") or ""))
    target = urljoin(url, form.action)
    if form.method == "post":
        answer = requests.post(
            target,
            data=fields,
            verify=verify,
            cert=cert,
            timeout=10,
            allow_redirects=False,
        )
    else:
        answer = requests.get(
            target,
            params=fields,
            verify=verify,
            cert=cert,
            timeout=10,
            allow_redirects=False,
        )
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
    return answer.headers["Location"]


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _client(sim, **options):
    """A client on the simulator: test-friendly retries, timeouts and polling."""
    defaults = {
        "verify": sim.ca_file,
        "retries": 2,
        "backoff_factor": 0,
        "timeout": (5, 5),
        "sync_poll_interval": 0,
    }
    return PontoClient(**{**defaults, **options})


def api_client(sim, **kwargs):
    """A Ponto API (custom integration) client on the simulator."""
    profile = {
        "base_url": sim.api_url,
        "client_id": sim.CUSTOM_CLIENT_ID,
        "client_secret": sim.CUSTOM_CLIENT_SECRET,
        "profile": PontoClient.API,
    }
    return _client(sim, **{**profile, **kwargs})


REDIRECT_URI = "https://odoo.example.test/bank_sync/ponto/return"


def connect_client(sim, **kwargs):
    """A Ponto Connect client on the simulator (not yet authorised)."""
    profile = {
        "base_url": sim.connect_url,
        "client_id": sim.CONNECT_CLIENT_ID,
        "client_secret": sim.CONNECT_CLIENT_SECRET,
        "profile": PontoClient.CONNECT,
        "authorization_url": sim.authorization_url,
        "redirect_uri": REDIRECT_URI,
        "application_id": sim.application_id,
    }
    return _client(sim, **{**profile, **kwargs})


def authorise(client, sim, *, button="authorize", cert=None):
    """Run the whole PKCE flow through the simulator's page; return the
    redirect query the user's browser comes back with, and the request."""
    request = client.authorization_request()
    location = submit_page(request.url, button, verify=sim.ca_file, cert=cert)
    assert location.startswith(REDIRECT_URI), location
    return query_of(location), request


def connected_client(sim, **kwargs):
    client = connect_client(sim, **kwargs)
    answer, request = authorise(client, sim)
    assert answer["state"] == request.state
    client.exchange_code(answer["code"], request.code_verifier)
    return client
