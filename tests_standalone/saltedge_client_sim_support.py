"""The real ``SaltEdgeClient`` over HTTPS against a running
``SaltEdgeSimulator``: a client factory (signed with the simulator's test key,
trusting its CA, on the simulator's clock) and a connect through the widget
pages. The fixtures ``se_sim`` and ``se_clients`` are in ``conftest.py``."""

from urllib.parse import parse_qsl, urlsplit

from clients.saltedge import SaltEdgeClient
from simulators.saltedge import SaltEdgeSimulator
from tests_standalone.saltedge_support import Browser, run_widget

REDIRECT = "https://odoo.example.test/bank_sync/oauth/return"
PROVIDER = "kbc_business_be"
IDENTIFIER = "odoo-company-7"

with open(SaltEdgeSimulator.TEST_PRIVATE_KEY_FILE, encoding="ascii") as _fh:
    PRIVATE_KEY = _fh.read()


def query(url):
    return dict(parse_qsl(urlsplit(url).query))


class Clients:
    """Builds clients the way the ORM does: one per operation, with what the
    provider record keeps (customer id, connection id)."""

    def __init__(self, sim):
        self.sim = sim
        self.customers = []  # what on_customer handed back

    def __call__(self, **kwargs):
        options = {
            "base_url": self.sim.api_url,
            "client_id": self.sim.app_id,
            "client_secret": self.sim.secret,
            "private_key": PRIVATE_KEY,
            "verify": self.sim.ca_file,
            "customer_identifier": IDENTIFIER,
            "on_customer": self.customers.append,
            "provider_code": PROVIDER,
            "time_zone": "Europe/Brussels",
            "timeout": (5, 10),
            "backoff_factor": 0.01,
            "sync_poll_interval": 0.01,
            "sync_poll_timeout": 5,
            # the simulator's clock: advance() moves what the client sees too
            "now": self.sim.now,
        }
        options.update(kwargs)
        return SaltEdgeClient(**options)

    def connect(self, state="st-1", deny=False, pages=True, **kwargs):
        """Connect through the widget; returns ``(client, return query)``
        (the client holds the connection unless the user denied)."""
        client = self(**kwargs)
        start = client.start_authorization(redirect_uri=REDIRECT, state=state)
        if pages:
            back = run_widget(self.sim, start.url, deny=deny)
        else:  # the quick path: the connect URL redirects to the return URL
            self.sim.auto_approve_pages = True
            try:
                back = Browser(self.sim).open(start.url)
            finally:
                self.sim.auto_approve_pages = False
        assert back.startswith(REDIRECT + "?"), back
        callback = query(back)
        if not deny:
            client.complete_authorization(callback)
        return client, callback

    def connected(self, **kwargs):
        """A client of a new connection (the widget's quick path)."""
        client, _ = self.connect(pages=False, **kwargs)
        kwargs.update(
            customer_id=client.customer_id, connection_id=client.connection_id
        )
        return self(**kwargs)
