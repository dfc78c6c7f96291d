"""R4, OAuth ``state`` (issue 7): what tests/test_connect.py and
tests/test_renew.py do not already cover. Forged, reused, expired and another
user's state at the authorization return are in TestConnectAuthorization; a
reused one and another user's at the renewal return are in TestRenewPonto.
Here: a forged state carrying a genuine code, malformed states, and a forged
or expired state at the renewal return. A refused return changes nothing and
leaves the genuine one usable."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from odoo import fields
from odoo.tests import tagged

from .http_common import OAUTH_RETURN_PATH as OAUTH_RETURN
from .http_common import RENEW_RETURN_PATH as RENEW_RETURN
from .ponto_common import PontoHttpCommon


def with_state(url, state):
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["state"] = state
    return parts._replace(query=urlencode(query)).geturl()


@tagged("post_install", "-at_install")
class TestAuthorizationState(PontoHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kbc = cls.institution(cls.connect_provider)

    def start(self):
        """Connect a Bank as the admin; returns the provider's redirect back
        to Odoo (a genuine code and state) and the connection."""
        wizard = (
            self.env["bank.sync.connect.wizard"]
            .with_user(self.admin)
            .create(
                {
                    "provider_id": self.connect_provider.id,
                    "institution_id": self.kbc.id,
                }
            )
        )
        auth_url = wizard.action_connect()["url"]
        link = self.env["bank.sync.link"].search(
            [("provider_id", "=", self.connect_provider.id)]
        )
        return self.sim.complete_authorization(auth_url), link

    def assert_refused(self, response, link):
        self.assertEqual(response.status_code, 400)
        self.assertIn("This authorization link is not valid", response.text)
        self.assertEqual(link.state, "draft")
        self.assertFalse(link.sudo().refresh_token)
        self.assertEqual(self.sim.count("POST", "*/oauth2/token"), 0)

    def test_forged_state_with_a_genuine_code(self):
        """A code obtained elsewhere, sent with a state Odoo never issued: the
        code is not even tried at the provider."""
        redirect, link = self.start()
        state = dict(parse_qsl(urlsplit(redirect).query))["state"]
        for forged in (
            "forged",
            state[:-1],  # no prefix match
            state + "x",
            state.upper() if state.upper() != state else state.lower(),
            "",
            "x" * 300,
            "' OR 1=1 --",
        ):
            with self.subTest(state=forged):
                self.assert_refused(
                    self.back_to_odoo(with_state(redirect, forged)), link
                )
        # the genuine return still works: nothing was burned
        self.assertEqual(self.back_to_odoo(redirect).status_code, 303)
        self.assertEqual(link.state, "authorized")
        self.assertTrue(link.sudo().refresh_token)

    def test_state_without_a_code_or_twice(self):
        redirect, link = self.start()
        query = dict(parse_qsl(urlsplit(redirect).query))
        self.authenticate("admin", "admin")
        response = self.url_open(
            f"{OAUTH_RETURN}?state={query['state']}&state=forged&code={query['code']}",
            allow_redirects=False,
        )
        self.env.invalidate_all()
        # werkzeug keeps the first value: the genuine return, used once
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.back_to_odoo(redirect).status_code, 400)
        self.assertEqual(self.sim.count("POST", "*/oauth2/token"), 1)
        self.assertEqual(link.state, "authorized")


@tagged("post_install", "-at_install")
class TestRenewalState(PontoHttpCommon):
    return_path = RENEW_RETURN

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.admin)
        cls.link = cls.mapped_link(cls.provider, [cls.sim.ACCOUNT_SAVINGS_ID])
        cls.link.action_fetch_transactions()
        cls.account = cls.online_account(cls.link, cls.sim.ACCOUNT_SAVINGS_ID)
        cls.before = cls.account.consent_expires_at
        cls.sim.advance(days=30)  # a renewal moves the consent's end

    def auth_session(self):
        return (
            self.env["bank.sync.auth.session"]
            .sudo()
            .search([("link_id", "=", self.link.id)], limit=1)
        )

    def assert_refused(self, response):
        self.assertEqual(response.status_code, 400)
        self.assertIn("This renewal link is not valid", response.text)
        self.assertEqual(self.account.consent_expires_at, self.before)

    def test_forged_state_at_the_renewal_return(self):
        redirect = self.approve_at_provider(self.renew(self.link))
        self.assertTrue(redirect.startswith(self.base_url() + RENEW_RETURN))
        for forged in ("forged", "", "x" * 300):
            with self.subTest(state=forged):
                self.assert_refused(self.back_to_odoo(with_state(redirect, forged)))
        self.assertFalse(self.auth_session().used)
        self.assertEqual(self.back_to_odoo(redirect).status_code, 303)
        self.assertGreater(self.account.consent_expires_at, self.before)

    def test_expired_state_at_the_renewal_return(self):
        redirect = self.approve_at_provider(self.renew(self.link))
        session = self.auth_session()
        self.assertAlmostEqual(
            session.expires_at,
            fields.Datetime.now() + timedelta(minutes=10),
            delta=timedelta(minutes=1),
        )
        session.expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assert_refused(self.back_to_odoo(redirect))
        self.assertFalse(session.used)

    def test_a_connect_state_does_not_renew(self):
        """The state of a Connect (authorization) is no renewal state."""
        provider = self.create_provider("connect")
        institutions = self.env["bank.sync.institution"]
        institutions._refresh_from_provider(provider)
        wizard = (
            self.env["bank.sync.connect.wizard"]
            .with_user(self.admin)
            .create(
                {
                    "provider_id": provider.id,
                    "institution_id": institutions.search(
                        [("provider_id", "=", provider.id)], limit=1
                    ).id,
                }
            )
        )
        redirect = self.sim.complete_authorization(wizard.action_connect()["url"])
        state = dict(parse_qsl(urlsplit(redirect).query))["state"]
        url = f"{self.base_url()}{RENEW_RETURN}?{urlencode({'state': state})}"
        self.assert_refused(self.back_to_odoo(url))
