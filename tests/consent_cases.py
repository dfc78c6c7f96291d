"""The consent reminders and expiry cases, for every provider: each provider's
test module runs them on its own layer (``test_consent.py`` for Ponto,
``test_saltedge_reminders.py`` for Salt Edge), through three hooks of the
layer's class: ``make_link``, ``map_account`` and, in the class that mixes
these in, ``reminder_account_ref()`` and ``expire_at_provider(account)``."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import new_test_user

#: the day the tests start (03:00 UTC, when the daily cron runs)
START = datetime(2026, 3, 1, 3, 0)
#: the consent of the tests' account ends 20 days later, at 10:00 UTC
DEADLINE = datetime(2026, 3, 21, 10, 0)
FR_SUBJECT = (
    "Renouvelez la connexion bancaire {{ object.name }} avant le "
    "{{ format_date(object.connected_until) }}"
)


class ConsentCase:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.template = cls.env.ref(
            "account_bank_sync.mail_template_bank_sync_consent_reminder"
        )
        cls.template.with_context(lang="fr_FR").subject = FR_SUBJECT
        cls.responsible = new_test_user(
            cls.env,
            login="comptable",
            name="Comptable",
            email="comptable@example.com",
            groups="account.group_account_user",
            lang="fr_FR",
            notification_type="email",
        )
        cls.follower = new_test_user(
            cls.env,
            login="follower",
            name="Follower",
            email="follower@example.com",
            groups="account.group_account_user",
            notification_type="email",
        )
        cls.link = cls.make_link(user_id=cls.responsible.id)
        cls.link.message_subscribe(partner_ids=cls.follower.partner_id.ids)
        cls.account, cls.journal = cls.map_account(
            cls.link, cls.reminder_account_ref(), consent_expires_at=DEADLINE
        )
        cls.renew_type = cls.env.ref(
            "account_bank_sync.mail_activity_type_bank_sync_renew"
        )

    def reminders(self):
        return self.env["mail.message"].search(
            [
                ("model", "=", "bank.sync.link"),
                ("res_id", "=", self.link.id),
                ("message_type", "=", "comment"),
                ("subtype_id", "=", self.env.ref("mail.mt_comment").id),
            ],
            order="id",
        )

    def run_days(self, days, on_day=None, crons=("consent",), start=START):
        """Run the daily cron (and the hourly one) once a day, from ``start``;
        returns ``{days left: [reminders]}`` of the reminders sent."""
        sent = {}
        links = self.env["bank.sync.link"]
        for day in range(days):
            now = start + timedelta(days=day)
            with freeze_time(now):
                if on_day:
                    on_day(day)
                before = self.reminders()
                if "consent" in crons:
                    links._cron_consent_check()
                if "import" in crons:
                    links._cron_sync_transactions()
                new = self.reminders() - before
                if new:
                    self.assertEqual(len(new), 1, f"day {day}")
                    until = self.link.connected_until.date()
                    sent.setdefault((until - now.date()).days, []).append(new)
        return sent

    def renew_activities(self):
        return self.link.activity_ids.filtered(
            lambda a: a.activity_type_id == self.renew_type
        )


class ReminderCases(ConsentCase):
    def test_15_3_and_1_days_before_once_each(self):
        sent = self.run_days(20)
        self.assertEqual(sorted(sent), [1, 3, 15])
        self.assertEqual(self.link.reminder_sent_days, 1)
        self.assertEqual(self.link.state, "connected")
        self.assertEqual([len(m) for m in sent.values()], [1, 1, 1])
        for (message,) in sent.values():
            # to the responsible user and the followers, by e-mail
            self.assertIn(self.responsible.partner_id, message.partner_ids)
            notified = message.notification_ids.res_partner_id
            self.assertIn(self.responsible.partner_id, notified)
            self.assertIn(self.follower.partner_id, notified)
            self.assertEqual(
                set(message.notification_ids.mapped("notification_type")), {"email"}
            )
            mails = (
                self.env["mail.mail"]
                .sudo()
                .search([("mail_message_id", "=", message.id)])
            )
            self.assertIn(self.responsible.partner_id, mails.recipient_ids)
            # in the responsible user's language (the template's translation)
            self.assertTrue(message.subject.startswith("Renouvelez la connexion"))
            self.assertIn(self.link.name, message.subject)
            self.assertIn("Renew", message.body)
        self.assertIn("(in 15 days)", sent[15][0].body)
        # one "Renew bank connection" activity, for the responsible user
        activity = self.renew_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.responsible)
        self.assertEqual(activity.date_deadline, DEADLINE.date())
        self.assertEqual(activity.summary, "Renew bank connection")

    def test_language_of_the_responsible(self):
        self.responsible.lang = "en_US"
        sent = self.run_days(6)
        self.assertEqual(list(sent), [15])
        self.assertTrue(sent[15][0].subject.startswith("Renew the bank connection"))

    def test_renewal_stops_the_series(self):
        def renew(day):
            if day == 9:  # 12 days left, the 15-day reminder was sent
                self.account.consent_expires_at = DEADLINE + timedelta(days=180)
                self.link._mark_authorized()

        sent = self.run_days(25, on_day=renew)
        self.assertEqual(list(sent), [15])
        self.assertFalse(self.renew_activities())
        self.assertEqual(self.link.reminder_sent_days, 0)
        self.assertEqual(self.link.state, "connected")

    def test_renewed_at_the_provider_starts_a_new_series(self):
        """The provider's expiry moves later (renewed elsewhere): the old
        thresholds are forgotten, the new deadline gets its own series."""

        def renew(day):
            if day == 10:
                self.account.consent_expires_at = DEADLINE + timedelta(days=10)

        sent = self.run_days(12, on_day=renew)
        self.assertEqual(list(sent), [15])
        # the next run sees the later deadline: the Renew activity is done
        self.assertFalse(self.renew_activities())
        sent = self.run_days(19, on_day=renew, start=START + timedelta(days=12))
        # then 15, 3 and 1 days before the new deadline
        self.assertEqual(sorted(sent), [1, 3, 15])
        self.assertEqual(self.link.reminder_sent_days, 1)

    def test_renewed_early_gets_none(self):
        def renew(day):
            if day == 2:  # 18 days left: before the first threshold
                self.account.consent_expires_at = DEADLINE + timedelta(days=180)

        self.assertFalse(self.run_days(25, on_day=renew))
        self.assertFalse(self.renew_activities())

    def test_late_start_sends_the_most_urgent_only(self):
        self.account.consent_expires_at = START + timedelta(days=2, hours=7)
        with freeze_time(START):
            self.env["bank.sync.link"]._cron_consent_check()
        self.assertEqual(len(self.reminders()), 1)
        self.assertEqual(self.link.reminder_sent_days, 3)


class ExpiryCases(ConsentCase):
    def test_one_message_and_one_activity_over_a_week(self):
        # the hourly import is not due before the deadline (no HTTP needed)
        self.link.next_sync = DEADLINE + timedelta(days=30)
        with freeze_time(START + timedelta(days=19)):
            self.env["bank.sync.link"]._cron_consent_check()  # the 1-day reminder
        self.assertEqual(len(self.renew_activities()), 1)
        messages = self.link.message_ids
        requests = len(self.sim.requests)

        def overdue(_day):
            self.link.next_sync = fields.Datetime.now() - timedelta(hours=1)

        with freeze_time(DEADLINE + timedelta(hours=1)):
            self.env["bank.sync.link"]._cron_consent_check()
        self.assertEqual(self.link.state, "expired")
        self.assertFalse(self.link.next_sync)
        # a week of both crons: quiet
        self.run_days(
            7,
            on_day=overdue,
            crons=("consent", "import"),
            start=DEADLINE + timedelta(days=1),
        )
        self.assertEqual(self.link.state, "expired")
        new = self.link.message_ids - messages
        self.assertEqual(len(new), 1, new.mapped("body"))
        self.assertIn("Expired", new.body)
        self.assertIn("click Renew", new.body)
        self.assertEqual(len(self.link.activity_ids), 1)
        self.assertFalse(self.renew_activities())
        self.assertEqual(len(self.sim.requests), requests, "nothing asked the provider")

    def test_consent_expired_at_the_provider(self):
        """The provider's ConsentExpired (engine) and the deadline (daily cron)
        together still make one message and one activity."""
        messages = self.link.message_ids
        self.expire_at_provider(self.account)
        self.link._sync()
        self.env.cr.flush()  # tracking runs before commit
        self.assertEqual(self.link.state, "expired")
        for day in range(7):
            with freeze_time(fields.Datetime.now() + timedelta(days=day)):
                self.env["bank.sync.link"]._cron_consent_check()
                self.env["bank.sync.link"]._cron_sync_transactions()
        self.env.cr.flush()
        new = self.link.message_ids - messages
        self.assertEqual(len(new), 1, new.mapped("body"))
        self.assertIn("Expired", new.body)
        self.assertEqual(len(self.link.activity_ids), 1)
