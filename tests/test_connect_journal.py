"""Connect where you click (issue 9): *Connect bank* from a journal maps its
account to that journal, even without an account number (set on Confirm);
mapping starts the import in the background; the wizard offers only journals
it accepts."""

from odoo import fields
from odoo.tests import tagged

from .ponto_common import PontoCommon

IMPORT_CRON = "account_bank_sync.ir_cron_bank_sync_import_transactions"


@tagged("post_install", "-at_install")
class TestConnectJournal(PontoCommon):
    def setUp(self):
        super().setUp()
        self.eur = self.env.ref("base.EUR")
        self.eur.active = True
        self.cron = self.env.ref(IMPORT_CRON)

    def journal(self, name, number=False, currency=None):
        currency = currency or self.eur
        return self.env["account.journal"].create(
            {
                "name": name,
                "type": "bank",
                "bank_acc_number": number,
                "currency_id": currency.id
                if currency != self.company.currency_id
                else False,
            }
        )

    def connect(self, journal=None):
        wizard = self.env["bank.sync.connect.wizard"].create(
            {
                "provider_id": self.provider.id,
                "institution_id": self.institution().id,
                "journal_id": journal and journal.id,
            }
        )
        action = wizard.action_connect()
        self.assertEqual(action["res_model"], "bank.sync.account.wizard")
        return action, self.env["bank.sync.account.wizard"].browse(action["res_id"])

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )

    def test_a_journal_without_number_is_connected_where_clicked(self):
        journal = self.journal("Main bank")
        action, wizard = self.connect(journal)
        self.assertIn("choose the accounts", action["name"])
        link = wizard.link_id
        line = wizard.line_ids.filtered(lambda line: line.journal_id == journal)
        self.assertEqual(len(line), 1)
        self.assertEqual(line.action, "map")
        self.assertIn(line.iban, line.journal_note)
        self.assertIn(journal, line.allowed_journal_ids)
        (wizard.line_ids - line).action = "ignore"
        before = self.triggers()
        wizard.action_confirm()
        self.assertEqual(
            journal.bank_account_id.sanitized_acc_number,
            line.iban.replace(" ", ""),
        )
        self.assertEqual(link.online_account_ids.journal_id, journal)
        self.assertEqual(link.state, "connected")
        # the import starts now, in the background
        self.assertGreater(self.triggers(), before)
        self.assertLessEqual(link.next_sync, fields.Datetime.now())

    def test_only_acceptable_journals_are_offered(self):
        free = self.journal("No number yet")
        usd = self.journal("Dollars", currency=self.env.ref("base.USD"))
        other = self.journal("Another bank", number="BE68539007547034")
        _action, wizard = self.connect()
        line = wizard.line_ids[0]
        fed = self.journal("Fed elsewhere")
        elsewhere = self.make_link(institution_ref=self.sim.FI_BNP_ID)
        self.map_account(elsewhere, self.sim.ACCOUNT_BNP_ID, journal=fed)
        line.invalidate_recordset(["allowed_journal_ids"])
        self.assertIn(free, line.allowed_journal_ids)
        for journal in (usd, other, fed):
            with self.subTest(journal=journal.name):
                self.assertNotIn(journal, line.allowed_journal_ids)
