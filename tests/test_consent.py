"""The consent lifecycle: "Connected until", the reminders 15, 3 and 1 days
before it (frozen time, day by day), and the ``expired`` state on the deadline."""

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .consent_cases import DEADLINE, START, ExpiryCases, ReminderCases
from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestConnectedUntil(PontoCommon):
    def test_from_the_provider(self):
        link = self.make_link()
        checking, _j = self.map_account(link, self.sim.ACCOUNT_CHECKING_ID)
        savings, _j = self.map_account(link, self.sim.ACCOUNT_SAVINGS_ID)
        link._sync()
        expected = {
            a["id"]: datetime.fromisoformat(
                a["authorization_expires_at"].replace("Z", "+00:00")
            )
            .astimezone(UTC)
            .replace(tzinfo=None, microsecond=0)
            for a in self.sim.seed_info()["accounts"]
        }
        self.assertEqual(
            checking.consent_expires_at, expected[self.sim.ACCOUNT_CHECKING_ID]
        )
        self.assertEqual(
            savings.consent_expires_at, expected[self.sim.ACCOUNT_SAVINGS_ID]
        )
        self.assertEqual(
            link.connected_until,
            min(checking.consent_expires_at, savings.consent_expires_at),
        )
        # the earliest of its accounts
        checking.consent_expires_at = DEADLINE
        self.assertEqual(link.connected_until, DEADLINE)

    def test_fallback_on_the_consent_length(self):
        """No expiry from the provider: the provider's consent length from the
        authorisation (set when the connect wizard connects)."""
        institution = self.institution()
        wizard = self.env["bank.sync.connect.wizard"].create(
            {"provider_id": self.provider.id, "institution_id": institution.id}
        )
        with freeze_time(START):
            action = wizard.action_connect()
        link = self.env["bank.sync.account.wizard"].browse(action["res_id"]).link_id
        self.assertEqual(link.state, "authorized")
        self.assertEqual(link.authorized_at, START)
        self.assertEqual(link.connected_until, START + timedelta(days=180))
        self.provider.consent_days = 90
        self.assertEqual(link.connected_until, START + timedelta(days=90))
        # a date given by the provider wins
        self.map_account(
            link, self.sim.ACCOUNT_CHECKING_ID, consent_expires_at=DEADLINE
        )
        self.assertEqual(link.connected_until, DEADLINE)
        # a sync that works again is no new authorisation
        link.state = "error"
        with freeze_time(START + timedelta(days=3)):
            link._set_state("connected")
        self.assertEqual(link.authorized_at, START)

    def test_settings_in_accounting_settings(self):
        """Accounting > Settings: the reminder days (cleaned) and the default
        interval of new connections, for every provider."""
        params = self.env["ir.config_parameter"].sudo()
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.bank_sync_reminder_days, "15,3,1")
        self.assertEqual(settings.bank_sync_interval_hours, 4)
        settings.write(
            {"bank_sync_reminder_days": "2, 10,x", "bank_sync_interval_hours": 6}
        )
        settings.execute()
        self.assertEqual(params.get_param("account_bank_sync.reminder_days"), "10,2")
        self.assertEqual(self.env["bank.sync.link"]._reminder_days_text(), "10,2")
        link = self.env["bank.sync.link"].create({"provider_id": self.provider.id})
        self.assertEqual(link.sync_interval_hours, 6)
        view = self.env["res.config.settings"].get_view()["arch"]
        self.assertIn('name="bank_sync_reminder_days"', view)


class PontoConsentHooks:
    @classmethod
    def reminder_account_ref(cls):
        return cls.sim.ACCOUNT_CHECKING_ID

    def expire_at_provider(self, account):
        self.sim.expire_consent(account.provider_ref)
        self.sim.fail_next_sync(account.provider_ref, "authorizationExpired")


@tagged("post_install", "-at_install")
class TestReminders(PontoConsentHooks, ReminderCases, PontoCommon):
    pass


@tagged("post_install", "-at_install")
class TestExpiry(PontoConsentHooks, ExpiryCases, PontoCommon):
    pass
