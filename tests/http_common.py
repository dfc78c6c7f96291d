"""The HTTP layer of the suite's bases (see ``common.py``): Odoo's HTTP server
in test mode, for the return routes of a provider's pages, ``url_open`` as a
logged-in user and tours in headless Chromium."""

from urllib.parse import urlsplit

from odoo.tests import HttpCase
from odoo.tests import common as test_common

from .common import BankSyncCommon

OAUTH_RETURN_PATH = "/bank_sync/oauth/return"
RENEW_RETURN_PATH = "/bank_sync/reauthorize/return"
CONNECTION_URL = "/odoo/action-account_bank_sync.action_bank_sync_link/%s"


class BankSyncHttpCommon(BankSyncCommon, HttpCase):
    """A Belgian company (the connect wizard's default country)."""

    #: the route of Odoo the provider sends the browser back to, checked by
    #: :meth:`back_to_odoo` (None: not checked)
    return_path = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref("base.be")

    def back_to_odoo(self, redirect_url, path=None, login="admin"):
        """The browser back from the provider's page: ``redirect_url`` (on
        Odoo's ``path``, by default :attr:`return_path`) opened as ``login``,
        redirects not followed; the test's records are read afresh afterwards."""
        path = path or self.return_path
        if path:
            self.assertTrue(
                redirect_url.startswith(self.base_url() + path), redirect_url
            )
        parts = urlsplit(redirect_url)
        self.authenticate(login, login)
        response = self.url_open(f"{parts.path}?{parts.query}", allow_redirects=False)
        self.env.invalidate_all()
        return response


class SimulatorChromeBrowser(test_common.ChromeBrowser):
    """The test browser, allowed to reach the test's simulator (``sim``) for
    real (test only): its HTTPS certificate (own CA) is accepted, and its
    requests go out instead of being answered by ``HttpCase.fetch_proxy``.
    Tours that visit a provider's pages patch ``test_common.ChromeBrowser``
    with it."""

    def __init__(self, test_case, *args, **kwargs):
        super().__init__(test_case, *args, **kwargs)
        self._websocket_request(
            "Security.setIgnoreCertificateErrors", params={"ignore": True}
        )

    def _handle_request_paused(self, **params):
        if params["request"]["url"].startswith(self.test_case.sim.root_url + "/"):
            self._websocket_send(
                "Fetch.continueRequest", params={"requestId": params["requestId"]}
            )
            return
        super()._handle_request_paused(**params)
