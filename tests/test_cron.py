"""The scheduler: due connections only, one failing connection never stops the
others, progress reported (a connection locked by another worker: test_tokens)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .ponto_common import PontoCommon

BROKEN_CA = (
    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
)


@tagged("post_install", "-at_install")
class TestCron(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref(
            "account_bank_sync.ir_cron_bank_sync_import_transactions"
        )
        cls.links = cls.env["bank.sync.link"]

    def other_provider(self, **values):
        return self.create_provider("api", **{"name": "Ponto (other)", **values})

    def test_cron_record(self):
        self.assertEqual(self.cron.name, "Bank Synchronization: import transactions")
        self.assertEqual(
            (self.cron.interval_number, self.cron.interval_type), (1, "hours")
        )
        self.assertEqual(self.cron.code.strip(), "model._cron_sync_transactions()")
        self.assertEqual(self.cron.model_id.model, "bank.sync.link")
        self.assertTrue(self.cron.active)

    def test_only_due_connections(self):
        now = fields.Datetime.now()
        due = self.make_link()
        _a, due_journal = self.map_account(due, self.sim.ACCOUNT_SAVINGS_ID)
        later = self.make_link(
            institution_ref=self.sim.FI_BNP_ID, next_sync=now + timedelta(hours=2)
        )
        _a, later_journal = self.map_account(later, self.sim.ACCOUNT_BNP_ID)
        off = self.make_link(institution_ref=self.sim.FI_BNP_ID, auto_sync=False)
        _a, off_journal = self.map_account(off, self.sim.ACCOUNT_USD_ID)
        expired = self.make_link(state="expired")
        _a, expired_journal = self.map_account(expired, self.sim.ACCOUNT_CHECKING_ID)
        overdue = self.make_link(next_sync=now - timedelta(minutes=1))

        self.assertEqual(
            self.links.search(self.links._cron_due_domain()), due | overdue
        )
        self.cron.method_direct_trigger()

        self.assertTrue(self.lines(due_journal))
        self.assertTrue(due.last_sync)
        self.assertGreater(due.next_sync, now + timedelta(hours=3))
        self.assertTrue(overdue.last_sync)
        for link, journal in (
            (later, later_journal),
            (off, off_journal),
            (expired, expired_journal),
        ):
            self.assertFalse(self.lines(journal), link.name)
            self.assertFalse(link.last_sync, link.name)
        # nothing is due any more
        self.assertFalse(self.links.search(self.links._cron_due_domain()))

    def test_failing_connection_does_not_stop_the_others(self):
        wrong_secret = self.make_link(
            provider=self.other_provider(client_secret="not the secret")
        )
        self.map_account(wrong_secret, self.sim.ACCOUNT_CHECKING_ID)
        broken = self.other_provider(name="Ponto (broken CA)")
        misconfigured = self.make_link(provider=broken)
        # a CA that no longer reads (saved before the checks of issue 9)
        self.env.cr.execute(
            "UPDATE bank_sync_provider SET ca_bundle = %s WHERE id = %s",
            (BROKEN_CA, broken.id),
        )
        broken.invalidate_recordset(["ca_bundle"])
        # a journal Odoo cannot create lines in: the import itself crashes
        # (not a provider error): the cron survives any exception
        crashing = self.make_link(institution_ref=self.sim.FI_BNP_ID)
        _a, bad_journal = self.map_account(crashing, self.sim.ACCOUNT_BNP_ID)
        bad_journal.suspense_account_id = False
        good = self.make_link()
        _a, journal = self.map_account(good, self.sim.ACCOUNT_SAVINGS_ID)
        self.assertLess(crashing.id, good.id)  # the failures come first

        progress = self.env["ir.cron.progress"].create({"cron_id": self.cron.id})
        # the crash is the account's: the engine isolates it
        engine_log = "odoo.addons.account_bank_sync.models.bank_sync_engine"
        with self.assertLogs(engine_log, "ERROR") as logged:
            self.links.with_context(
                ir_cron_progress_id=progress.id
            )._cron_sync_transactions()
        self.assertEqual(len(logged.records), 1)
        account = crashing.online_account_ids
        self.assertIn(f"online account {account.id} failed", logged.output[0])
        self.assertEqual((progress.done, progress.remaining), (4, 0))

        self.assertTrue(self.lines(journal))
        self.assertEqual(good.state, "connected")
        # the crash rolled its connection back to where it was, then marked it
        self.assertFalse(self.lines(bad_journal))
        self.assertEqual(crashing.state, "error")
        self.assertEqual(crashing.last_error_code, "UserError")
        [note] = [m for m in crashing.message_ids if "not be imported" in m.body]
        self.assertIn("suspense account", note.body)
        self.assertEqual(len(crashing.activity_ids), 1)
        self.assertGreater(crashing.next_sync, fields.Datetime.now())
        # the provider errors are handled by the engine itself
        self.assertEqual(wrong_secret.state, "error")
        bodies = "".join(wrong_secret.message_ids.mapped("body"))
        self.assertIn("credentials", bodies)
        self.assertNotIn("not the secret", bodies)
        self.assertEqual(misconfigured.state, "error")
        self.assertEqual(misconfigured.last_error_code, "providerConfiguration")
        self.assertIn("misconfigured", misconfigured.last_error_message)
