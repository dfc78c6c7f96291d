"""Salt Edge's seed flow in headless Chromium (issue 10): Connect bank →
choose the bank → the simulator's widget pages, walked in the browser →
return → map → lines in the journal → "Connected until" on the card."""

import logging
import time
from unittest.mock import patch

from odoo.tests import common as test_common
from odoo.tests import tagged

from .http_common import SimulatorChromeBrowser
from .saltedge_common import SaltEdgeHttpCommon

_logger = logging.getLogger(__name__)
STAGES = ("start", "connect", "interactive", "finish")


@tagged("post_install", "-at_install")
class TestSaltEdgeTour(SaltEdgeHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.admin)
        cls.provider.sequence = 0  # the connect wizard's default provider

    def test_connect_through_the_widget_map_and_import(self):
        self.sim.autoplay_pages = True
        started = time.monotonic()
        with patch.object(test_common, "ChromeBrowser", SimulatorChromeBrowser):
            self.start_tour(
                "/odoo/action-account_bank_sync.action_bank_sync_link",
                "account_bank_sync_saltedge_tour",
                login="admin",
            )
        _logger.info("Salt Edge tour: %.1f s", time.monotonic() - started)
        # the browser itself went through every page of the widget
        pages = [r for r in self.sim.requests if r.path.startswith("/connect/")]
        self.assertGreaterEqual(len([r for r in pages if r.method == "POST"]), 3)
        link = self.env["bank.sync.link"].search(
            [("provider_id", "=", self.provider.id)]
        )
        self.assertEqual(link.state, "connected")
        self.assertTrue(link.connected_until)
        self.assertEqual(len(link.journal_ids), 2)
        for account in link.online_account_ids:
            booked = set(account.statement_line_ids.mapped("bank_sync_ref"))
            self.assertEqual(
                booked,
                self.bookable(account.provider_ref, since=account.first_import_date),
            )
