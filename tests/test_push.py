"""The provider's news (a callback, a webhook: ``bank_sync_push.py``): the
connection is imported soon by the cron, woken, without asking the provider to
read the bank again; a removal at the provider disconnects, the lines kept.
Proven on Ponto; Salt Edge's callbacks (test_saltedge_callbacks.py) and
Ponto's webhooks go through the same two methods."""

from odoo import fields
from odoo.tests import tagged

from odoo.addons.account_bank_sync.models.const import IMPORT_CRON

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestProviderNews(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_CHECKING_ID
        )
        cls.link._sync()
        cls.cron = cls.env.ref(IMPORT_CRON)

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )

    def test_fetched_by_the_provider_is_read_without_a_refresh(self):
        self.link.next_sync = fields.Datetime.add(fields.Datetime.now(), hours=4)
        self.sim.queue_bank_transactions(self.sim.ACCOUNT_CHECKING_ID, 3)
        # Ponto reads the bank on its own (its daily read)
        self.sim.provider_sync(self.sim.ACCOUNT_CHECKING_ID)
        self.sim.reset_log()
        before, lines = self.triggers(), len(self.lines(self.journal))
        self.assertTrue(self.link._bank_sync_provider_fetched())
        # nothing done in the caller: the cron is woken, the connection due
        self.assertEqual(len(self.sim.requests), 0)
        self.assertEqual(self.triggers(), before + 1)
        self.assertLessEqual(self.link.next_sync, fields.Datetime.now())
        self.assertTrue(self.account.provider_fetched_at)
        # the run reads what the provider has, asking for no new bank read
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertEqual(len(self.lines(self.journal)), lines + 3)
        self.assertEqual(self.sim.count("POST", "*/synchronizations"), 0)
        self.assertFalse(self.account.provider_fetched_at)
        # the next run is an ordinary one again
        self.link._sync()
        self.assertEqual(self.sim.count("POST", "*/synchronizations"), 1)

    def test_failed_at_the_provider_asks_again(self):
        self.assertTrue(self.link._bank_sync_provider_fetched(fetched=False))
        self.assertFalse(self.account.provider_fetched_at)
        self.sim.reset_log()
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertEqual(self.sim.count("POST", "*/synchronizations"), 1)

    def test_no_import_for_what_is_not_synchronized(self):
        other = self.make_link(state="authorized")
        self.assertFalse(other._bank_sync_provider_fetched())
        self.assertFalse(
            self.link._bank_sync_provider_fetched(account_refs=["unknown"])
        )
        self.link.state = "expired"
        self.assertFalse(self.link._bank_sync_provider_fetched())

    def test_removed_at_the_provider(self):
        lines = self.lines(self.journal)
        self.sim.reset_log()
        self.link._bank_sync_removed_at_provider()
        self.assertEqual(self.link.state, "disconnected")
        self.assertIn("was removed on its side", self.link.message_ids[0].body)
        self.assertEqual(self.lines(self.journal), lines)
        self.assertEqual(self.journal.bank_statements_source, "undefined")
        self.assertEqual(len(self.sim.requests), 0, "nothing asked of the provider")
        # told twice: once is enough
        messages = self.link.message_ids
        self.link._bank_sync_removed_at_provider()
        self.assertEqual(self.link.message_ids, messages)
