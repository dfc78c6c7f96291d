"""Salt Edge's callbacks, sent by the simulator over HTTP to Odoo's public
route: verified, answered at once, turned into a background import (the cron
woken, no bank read asked again); a forged or tampered one is refused and
logged without its body; a second ``success`` imports nothing twice; a
``destroy`` disconnects."""

import json

from odoo.tests import tagged

from odoo.addons.account_bank_sync.models.const import IMPORT_CRON

from .saltedge_common import CURRENT, SaltEdgeHttpCommon

CALLBACK = "/bank_sync/saltedge/callback/%s"
LOGGER = "odoo.addons.account_bank_sync.models.bank_sync_provider_saltedge"


@tagged("post_install", "-at_install")
class TestSaltEdgeCallbacks(SaltEdgeHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link = cls.make_link()
        cls.account, cls.journal = cls.map_account(cls.link, CURRENT)
        cls.link._sync()
        cls.cron = cls.env.ref(IMPORT_CRON)

    def setUp(self):
        super().setUp()
        self.sim.set_callback_urls(
            {kind: self.base_url() + CALLBACK % kind for kind in ("success", "destroy")}
        )

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )

    def send(self, kind, **data):
        delivery = self.sim.send_callback(
            kind, self.link.provider_organization_id, **data
        )
        self.env.invalidate_all()
        return delivery

    def test_success_imports_in_the_background_once(self):
        self.sim.add_transactions(self.account.provider_ref, 3, fetched=True)
        lines, before = len(self.lines(self.journal)), self.triggers()
        self.sim.reset_log()
        delivery = self.send("success", stage="finish")
        self.assertEqual(delivery["status"], 200, delivery)
        # nothing imported in the request; the cron is woken
        self.assertEqual(len(self.lines(self.journal)), lines)
        self.assertEqual(self.triggers(), before + 1)
        self.assertTrue(self.account.provider_fetched_at)
        self.assertEqual(len(self.sim.requests), 0, "no call to Salt Edge inline")
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertEqual(len(self.lines(self.journal)), lines + 3)
        self.assertEqual(self.sim.count("POST", "*/refresh"), 0, "Salt Edge just read")
        # Salt Edge sends one to three success callbacks: nothing twice
        self.assertEqual(self.send("success", stage="finish")["status"], 200)
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertEqual(len(self.lines(self.journal)), lines + 3)

    def test_forged_and_tampered_are_refused(self):
        body = json.dumps(
            {
                "data": {
                    "connection_id": self.link.provider_organization_id,
                    "customer_id": self.sim.SEED_CUSTOMER_ID,
                    "custom_fields": {"secret-marker": "do-not-log-me"},
                },
                "meta": {"version": "6", "time": "2026-12-01T10:00:00Z"},
            }
        )
        url = self.base_url() + CALLBACK % "success"
        before = self.triggers()
        genuine = self.sim.sign_callback(url, body.encode())
        cases = {
            "unsigned": (body, None),
            "forged": (body, "bm90IGEgc2lnbmF0dXJl"),
            "tampered": (body.replace("do-not-log-me", "changed"), genuine),
            "another URL": (body, self.sim.sign_callback(url + "x", body.encode())),
        }
        for name, (data, signature) in cases.items():
            with self.subTest(name), self.assertLogs(LOGGER, "WARNING") as logs:
                headers = {"Content-Type": "application/json"}
                if signature:
                    headers["Signature"] = signature
                response = self.url_open(
                    CALLBACK % "success", data=data, headers=headers
                )
                self.assertEqual(response.status_code, 401)
                self.assertNotIn("do-not-log-me", "\n".join(logs.output))
                self.assertNotIn("changed", "\n".join(logs.output))
        self.env.invalidate_all()
        self.assertEqual(self.triggers(), before)
        self.assertFalse(self.account.provider_fetched_at)
        # the genuine one passes
        response = self.url_open(
            CALLBACK % "success",
            data=body,
            headers={"Content-Type": "application/json", "Signature": genuine},
        )
        self.assertEqual(response.status_code, 200)

    def test_unknown_kind_and_connection(self):
        response = self.url_open(CALLBACK % "interactive", data="{}")
        self.assertEqual(response.status_code, 404)
        delivery = self.sim.send_callback("success", "1234567890123456789")
        self.assertEqual(delivery["status"], 200, "answered; nothing of ours")
        self.env.invalidate_all()
        self.assertFalse(self.account.provider_fetched_at)

    def test_destroy_disconnects(self):
        lines = self.lines(self.journal)
        self.assertEqual(self.send("destroy")["status"], 200)
        self.assertEqual(self.link.state, "disconnected")
        self.assertIn("was removed on its side", self.link.message_ids[0].body)
        self.assertEqual(self.lines(self.journal), lines)
