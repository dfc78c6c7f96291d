"""Errors a person can act on (issue 9): what a bookkeeper reads says what
happened, who fixes it and how; the technical detail (class, the provider's
text, its request id) is the administrator's, never the headline."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .ponto_common import PontoCommon

TECHNICAL = ("SSLError", "BankSyncError", "TLS error", "request id", "Traceback")


@tagged("post_install", "-at_install")
class TestErrorMessages(PontoCommon):
    def setUp(self):
        super().setUp()
        self.bookkeeper = new_test_user(
            self.env, login="bs_msg_bookkeeper", groups="account.group_account_user"
        )
        self.link = self.make_link()
        self.account, self.journal = self.map_account(
            self.link, self.sim.ACCOUNT_SAVINGS_ID
        )

    def assert_for_people(self, text, *wanted):
        for word in wanted:
            self.assertIn(word, text)
        for word in TECHNICAL:
            self.assertNotIn(word, text)

    def test_untrusted_certificate_asks_the_administrator(self):
        self.provider.ca_bundle = False  # the simulator's CA is not trusted
        action = self.journal.with_user(
            self.bookkeeper
        ).action_bank_sync_fetch_transactions()
        link = self.link
        self.assertEqual(link.state, "error")
        self.assert_for_people(
            link.last_error_message, "ask your administrator", "Ponto"
        )
        self.assertIn("TLS", link.sudo().last_error_detail)
        # the notification leads with it, no "No new transactions" before it
        message = action["params"]["message"]
        self.assertTrue(message.startswith(link.last_error_message), message)
        self.assert_for_people(message)
        # the detail is the administrator's only
        with self.assertRaises(AccessError):
            link.with_user(self.bookkeeper).read(["last_error_detail"])
        self.assertNotIn(
            "last_error_detail", link.with_user(self.bookkeeper).fields_get()
        )
        chatter = link.message_ids[:1].body
        self.assert_for_people(chatter, "ask your administrator")

    def test_refused_credentials_of_a_custom_integration(self):
        self.provider.sudo().client_secret = "wrong secret"
        self.link._sync()
        self.assert_for_people(
            self.link.last_error_message, "ask your administrator", "client id"
        )
        self.assertNotIn("Renew", self.link.last_error_message)

    def test_refused_access_of_a_user_authorization_says_renew(self):
        link = self.make_link(provider=self.connect_provider)
        self.map_account(link, self.sim.ACCOUNT_CHECKING_ID)
        link._sync()  # no grant at all: the access is refused
        self.assertEqual(link.state, "error")
        self.assert_for_people(link.last_error_message, "click Renew")

    def test_a_provider_failure_names_no_request_id(self):
        self.sim.add_fault("malformed", "GET", "*/transactions*", times=None)
        self.link._sync()
        self.sim.clear_faults()
        self.assertEqual(self.link.state, "error")
        message = self.link.last_error_message
        self.assertNotIn("support", message)
        self.assert_for_people(message, "ask your administrator")
        self.assertTrue(self.link.sudo().last_error_detail)
