import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .http_common import OAUTH_RETURN_PATH
from .ponto_common import PontoHttpCommon


@tagged("post_install", "-at_install")
class TestConnectWizard(PontoHttpCommon):
    def wizard(self, provider, ref=None, user=None, **values):
        institution = self.institution(provider, ref or self.sim.FI_KBC_ID)
        return (
            self.env["bank.sync.connect.wizard"]
            .with_user(user or self.admin)
            .create(
                {
                    "provider_id": provider.id,
                    "institution_id": institution.id,
                    **values,
                }
            )
        )

    def test_defaults_and_search(self):
        self.assertFalse(self.env["bank.sync.institution"].search_count([]))
        form = Form(self.env["bank.sync.connect.wizard"].with_user(self.admin))
        # the company's first provider; its banks are loaded when none is known
        self.assertEqual(form.provider_id, self.provider)
        self.assertEqual(form.country_id, self.company.country_id)
        self.assertFalse(form.refresh_error)
        self.assertGreaterEqual(
            self.env["bank.sync.institution"].search_count(
                [("provider_id", "=", self.provider.id)]
            ),
            9,
        )
        form.search_term = "KREDBEBB"  # by BIC
        self.assertEqual(form.institution_id.provider_ref, self.sim.FI_KBC_ID)
        self.assertFalse(form.institution_warning)
        form.search_term = "paribas"  # by name
        self.assertEqual(form.institution_id.provider_ref, self.sim.FI_BNP_ID)
        form.search_term = "no such bank"
        self.assertFalse(form.institution_id)
        self.assertEqual(form.institution_count, 0)
        form.search_term = ""
        self.assertEqual(form.institution_count, 6)  # in Belgium
        form.country_id = self.env.ref("base.nl")
        self.assertEqual(form.institution_count, 2)
        form.search_term = "KBC"  # not in the Netherlands
        self.assertFalse(form.institution_id)

    def test_provider_failure_says_so(self):
        self.sim.add_fault("malformed", "GET", "/financial-institutions", times=None)
        form = Form(self.env["bank.sync.connect.wizard"].with_user(self.admin))
        self.assertIn("could not be loaded", form.refresh_error)

    def test_warnings(self):
        beta = self.wizard(self.provider, self.sim.FI_BETA_ID)
        self.assertIn("is in beta at Ponto (simulator)", beta.institution_warning)
        self.assertIn("may fail more often", beta.institution_warning)
        experimental = self.wizard(self.provider, self.sim.FI_IDS["rabobank"])
        self.assertIn("is experimental", experimental.institution_warning)
        maintenance = self.wizard(self.provider, self.sim.FI_MAINTENANCE_ID)
        self.assertIn("Crelan is in maintenance until", maintenance.institution_warning)
        self.assertFalse(self.wizard(self.provider).institution_warning)

    def test_custom_integration_connects_without_redirect(self):
        action = self.wizard(self.provider).action_connect()
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual(action["res_model"], "bank.sync.account.wizard")
        account_wizard = self.env["bank.sync.account.wizard"].browse(action["res_id"])
        link = account_wizard.link_id
        self.assertEqual(link.state, "authorized")
        self.assertEqual(link.provider_id, self.provider)
        self.assertEqual(link.institution_id.provider_ref, self.sim.FI_KBC_ID)
        self.assertEqual(
            set(account_wizard.line_ids.mapped("provider_ref")),
            {self.sim.ACCOUNT_CHECKING_ID, self.sim.ACCOUNT_SAVINGS_ID},
        )
        # Connecting the same bank again reuses the connection.
        again = self.wizard(self.provider).action_connect()
        self.assertEqual(
            self.env["bank.sync.account.wizard"].browse(again["res_id"]).link_id, link
        )
        self.assertEqual(
            self.env["bank.sync.link"].search_count(
                [("provider_id", "=", self.provider.id)]
            ),
            1,
        )

    def test_custom_integration_bad_credentials_change_nothing(self):
        self.provider.client_secret = "wrong"
        with self.assertRaisesRegex(UserError, "could not list the accounts"):
            self.wizard(self.provider).action_connect()

    def test_preselected_journal(self):
        iban = self.sim.ACCOUNT_IBANS["kbc-savings"]
        self.env.ref("base.EUR").active = True
        journal = self.env["account.journal"].create(
            {
                "name": "Savings",
                "type": "bank",
                "bank_acc_number": iban,
                "currency_id": self.env.ref("base.EUR").id,
            }
        )
        action = self.wizard(self.provider, journal_id=journal.id).action_connect()
        wizard = self.env["bank.sync.account.wizard"].browse(action["res_id"])
        line = wizard.line_ids.filtered(lambda x: x.iban == iban)
        self.assertEqual((line.action, line.journal_id), ("map", journal))


@tagged("post_install", "-at_install")
class TestConnectAuthorization(PontoHttpCommon):
    """Ponto Connect: authorization code + PKCE, the state bound to the user
    and the connection, single use, 10 minutes."""

    return_path = OAUTH_RETURN_PATH

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.institution_kbc = cls.institution(cls.connect_provider)

    def start(self, user=None):
        wizard = (
            self.env["bank.sync.connect.wizard"]
            .with_user(user or self.admin)
            .create(
                {
                    "provider_id": self.connect_provider.id,
                    "institution_id": self.institution_kbc.id,
                }
            )
        )
        action = wizard.action_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["target"], "self")
        self.assertTrue(action["url"].startswith(self.sim.authorization_url + "?"))
        link = self.env["bank.sync.link"].search(
            [("provider_id", "=", self.connect_provider.id)]
        )
        self.assertEqual(link.state, "draft")
        return action["url"], link

    def tokens(self, link):
        link = link.sudo()
        return (link.access_token, link.refresh_token, link.token_expires_at)

    def assert_refused(self, response, link, text):
        self.assertEqual(response.status_code, 400)
        self.assertIn(text, response.text)
        self.assertIn("Back to the bank connections", response.text)
        self.assertEqual(link.state, "draft")
        self.assertEqual(self.tokens(link), (False, False, False))
        self.assertFalse(link.provider_organization_id)

    def test_authorization_round_trip(self):
        auth_url, link = self.start()
        redirect_url = self.authorize_in_browser(auth_url)
        response = self.back_to_odoo(redirect_url)
        self.assertEqual(response.status_code, 303)
        location = response.headers["Location"]
        match = re.fullmatch(
            r".*/odoo/action-account_bank_sync\.action_bank_sync_account_wizard/(\d+)",
            location,
        )
        self.assertTrue(match, location)
        access, refresh, expires = self.tokens(link)
        self.assertTrue(access and refresh and expires)
        self.assertEqual(link.state, "authorized")
        self.assertEqual(link.provider_organization_id, self.sim.ORGANIZATION_ID)
        self.assertEqual(self.sim.count("POST", "*/oauth2/token", 200), 1)
        wizard = self.env["bank.sync.account.wizard"].browse(int(match[1]))
        self.assertEqual(wizard.link_id, link)
        self.assertEqual(
            set(wizard.line_ids.mapped("provider_ref")),
            {self.sim.ACCOUNT_CHECKING_ID, self.sim.ACCOUNT_SAVINGS_ID},
        )
        self.assertEqual(wizard.other_count, 2)
        self.assertEqual(wizard.create_uid, self.admin)
        # the web client serves the URL the user is sent to
        self.assertEqual(self.url_open(location).status_code, 200)

        # The same return again (reload, replay): refused, nothing changes.
        replay = self.back_to_odoo(redirect_url)
        self.assertEqual(replay.status_code, 400)
        self.assertIn("already used", replay.text)
        self.assertEqual(self.tokens(link), (access, refresh, expires))
        self.assertEqual(self.sim.count("POST", "*/oauth2/token"), 1)

    def test_chosen_accounts_only(self):
        auth_url, link = self.start()
        redirect_url = self.sim.complete_authorization(
            auth_url,
            "authorize",
            [self.sim.ACCOUNT_SAVINGS_ID, self.sim.ACCOUNT_BNP_ID],
        )
        response = self.back_to_odoo(redirect_url)
        self.assertEqual(response.status_code, 303)
        wizard = self.env["bank.sync.account.wizard"].search(
            [("link_id", "=", link.id)]
        )
        self.assertEqual(wizard.line_ids.provider_ref, self.sim.ACCOUNT_SAVINGS_ID)
        self.assertEqual(wizard.other_count, 1)
        self.assertEqual(
            wizard.other_message, "1 authorised account of another bank was left out."
        )

    def test_no_account_of_the_bank_authorised(self):
        auth_url, link = self.start()
        redirect_url = self.sim.complete_authorization(
            auth_url, "authorize", [self.sim.ACCOUNT_BNP_ID]
        )
        self.assertEqual(self.back_to_odoo(redirect_url).status_code, 303)
        wizard = self.env["bank.sync.account.wizard"].search(
            [("link_id", "=", link.id)]
        )
        self.assertFalse(wizard.line_ids)
        self.assertIn(
            "Ponto has no account of KBC Bank authorised for Odoo",
            wizard.no_account_message,
        )
        self.assertIn("Click Connect again", wizard.no_account_message)

    def test_forged_state(self):
        _auth_url, link = self.start()
        response = self.back_to_odoo(
            f"{self.base_url()}{OAUTH_RETURN_PATH}?code=stolen&state=forged"
        )
        self.assert_refused(response, link, "This authorization link is not valid")
        self.assertEqual(self.sim.count("POST", "*/oauth2/token"), 0)

    def test_expired_state(self):
        auth_url, link = self.start()
        session = (
            self.env["bank.sync.auth.session"]
            .sudo()
            .search([("link_id", "=", link.id)])
        )
        self.assertEqual(session.user_id, self.admin)
        self.assertAlmostEqual(
            session.expires_at,
            fields.Datetime.now() + timedelta(minutes=10),
            delta=timedelta(minutes=1),
        )
        redirect_url = self.sim.complete_authorization(auth_url)
        session.expires_at = fields.Datetime.now() - timedelta(seconds=1)
        response = self.back_to_odoo(redirect_url)
        self.assert_refused(response, link, "has expired")
        self.assertFalse(session.used)
        self.assertEqual(self.sim.count("POST", "*/oauth2/token"), 0)

    def test_state_of_another_user(self):
        new_test_user(
            self.env,
            login="bookkeeper",
            groups="account.group_account_manager,account.group_account_user",
        )
        auth_url, link = self.start()  # started by admin
        redirect_url = self.sim.complete_authorization(auth_url)
        response = self.back_to_odoo(redirect_url, login="bookkeeper")
        self.assert_refused(response, link, "started by another user")
        session = (
            self.env["bank.sync.auth.session"]
            .sudo()
            .search([("link_id", "=", link.id)])
        )
        self.assertFalse(session.used)
        # its owner can still use it
        self.assertEqual(self.back_to_odoo(redirect_url).status_code, 303)
        self.assertEqual(link.state, "authorized")

    def test_access_denied(self):
        auth_url, link = self.start()
        redirect_url = self.authorize_in_browser(auth_url, decision="deny")
        self.assertIn("error=access_denied", redirect_url)
        response = self.back_to_odoo(redirect_url)
        self.assert_refused(response, link, "The authorization was not given")
        self.assertIn("access_denied", response.text)

    def test_anonymous_return_goes_to_login(self):
        _auth_url, link = self.start()
        response = self.url_open(
            f"{OAUTH_RETURN_PATH}?code=x&state=y", allow_redirects=False
        )
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self.assertEqual(link.state, "draft")
