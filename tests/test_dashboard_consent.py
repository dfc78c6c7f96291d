"""Each card follows its own account's consent (issue 9): the expiry shown is
the real one, and Renew is pushed only inside the reminder window."""

import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestCardConsent(PontoCommon):
    def setUp(self):
        super().setUp()
        self.grant_full_accounting(self.env.user)
        self.link = self.make_link()
        self.savings, self.savings_journal = self.map_account(
            self.link, self.sim.ACCOUNT_SAVINGS_ID
        )
        self.checking, self.checking_journal = self.map_account(
            self.link, self.sim.ACCOUNT_CHECKING_ID
        )

    def card(self, journal):
        self.env.flush_all()
        journal.invalidate_recordset()
        return json.loads(journal.kanban_dashboard)["bank_sync"]

    def test_each_card_follows_its_own_account(self):
        now = fields.Datetime.now()
        self.savings.consent_expires_at = now - timedelta(days=1)
        self.checking.consent_expires_at = now + timedelta(days=120)
        savings, checking = (
            self.card(self.savings_journal),
            self.card(self.checking_journal),
        )
        self.assertTrue(savings["expired"])
        self.assertEqual(savings["connected_until_class"], "text-danger")
        self.assertTrue(savings["can_renew"])
        self.assertFalse(checking["expired"])
        self.assertEqual(checking["connected_until_class"], "")
        self.assertFalse(checking["can_renew"], "120 days left: Renew not pushed")
        self.assertNotEqual(savings["connected_until"], checking["connected_until"])

    def test_renew_inside_the_reminder_window_only(self):
        now = fields.Datetime.now()
        self.checking.consent_expires_at = now + timedelta(days=120)
        for days, expected in ((16, False), (14, True), (1, True)):
            with self.subTest(days=days):
                self.savings.consent_expires_at = now + timedelta(days=days, hours=1)
                card = self.card(self.savings_journal)
                self.assertEqual(card["can_renew"], expected)
                self.assertEqual(bool(card["expires_in"]), expected)
        self.assertEqual(card["expires_in"], "expires tomorrow")
        self.savings.consent_expires_at = now + timedelta(days=12, hours=1)
        self.assertEqual(
            self.card(self.savings_journal)["expires_in"], "expires in 12 days"
        )
        # the window follows Accounting > Settings (the reminder days)
        self.env["ir.config_parameter"].set_param(
            "account_bank_sync.reminder_days", "30"
        )
        self.savings.consent_expires_at = now + timedelta(days=25)
        self.assertTrue(self.card(self.savings_journal)["can_renew"])

    def test_no_expiry_date_in_the_future_shown_as_expired(self):
        """The provider said the consent ended although its date is ahead:
        "Bank consent expired", never "Expired on <a future date>"."""
        self.link.state = "expired"
        self.savings.consent_expires_at = False
        self.checking.consent_expires_at = False
        self.link.authorized_at = fields.Datetime.now() - timedelta(days=30)
        card = self.card(self.savings_journal)
        self.assertTrue(card["expired"])
        self.assertFalse(card["connected_until"])
        self.assertTrue(card["can_renew"])
