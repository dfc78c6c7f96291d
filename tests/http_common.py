"""The HTTP layer of the suite's bases (see ``common.py``): Odoo's HTTP server
in test mode, for the return routes of a provider's pages, ``url_open`` as a
logged-in user and tours in headless Chromium."""

from urllib.parse import urlsplit

from odoo.tests import HttpCase

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
