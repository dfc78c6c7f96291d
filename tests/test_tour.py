import logging
import time

from odoo.tests import tagged

from .ponto_common import PontoHttpCommon

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestBankSyncTour(PontoHttpCommon):
    """The bookkeeper's path in headless Chromium, against the Ponto simulator:
    Configuration > Bank Synchronization > Connections, Connect a Bank (KBC),
    map the accounts to new journals, Fetch Transactions, see the lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.admin)  # the bookkeeper of the tour

    def test_connect_map_and_import(self):
        self.provider.sequence = 1  # the default provider of the wizard
        started = time.monotonic()
        self.start_tour("/odoo", "account_bank_sync_tour", login="admin")
        _logger.info("bank sync tour: %.1f s", time.monotonic() - started)

        link = self.env["bank.sync.link"].search(
            [("provider_id", "=", self.provider.id)]
        )
        self.assertEqual(link.state, "connected")
        self.assertEqual(link.institution_id.provider_ref, self.sim.FI_KBC_ID)
        accounts = link.online_account_ids
        self.assertEqual(
            set(accounts.mapped("provider_ref")),
            {self.sim.ACCOUNT_CHECKING_ID, self.sim.ACCOUNT_SAVINGS_ID},
        )
        for account in accounts:
            self.assertEqual(account.journal_id.bank_statements_source, "online_sync")
            self.assertTrue(account.statement_line_ids, account.name)
            self.assertEqual(account.statement_line_ids.journal_id, account.journal_id)
        # the other bank's accounts were not linked
        self.assertFalse(
            self.env["bank.sync.account"].search(
                [
                    (
                        "provider_ref",
                        "in",
                        [self.sim.ACCOUNT_BNP_ID, self.sim.ACCOUNT_USD_ID],
                    )
                ]
            )
        )

    def test_ponto_connect_return_opens_the_account_wizard(self):
        """The URL the OAuth return redirects to opens the account wizard in
        the web client (a full page load after the provider's page)."""
        provider = self.create_provider("connect", application_id=False)
        kbc = self.institution(provider)
        wizard = (
            self.env["bank.sync.connect.wizard"]
            .with_user(self.admin)
            .create({"provider_id": provider.id, "institution_id": kbc.id})
        )
        action = wizard.action_connect()
        redirect_url = self.sim.complete_authorization(action["url"])
        path = redirect_url[len(self.base_url()) :]
        self.assertTrue(path.startswith("/bank_sync/oauth/return?"))
        self.start_tour(path, "account_bank_sync_connect_return_tour", login="admin")
        link = self.env["bank.sync.link"].search([("provider_id", "=", provider.id)])
        self.assertEqual(link.state, "connected")
        self.assertEqual(len(link.online_account_ids.journal_id), 2)
