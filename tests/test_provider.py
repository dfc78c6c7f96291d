from urllib.parse import parse_qsl, urlsplit

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.account_bank_sync.clients import errors

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestProviderClient(PontoCommon):
    """``_get_client()`` builds a real client that talks HTTPS to the simulator."""

    def test_client_lists_accounts_over_https(self):
        client = self.provider._build_client()
        accounts = client.list_accounts()
        self.assertEqual(
            {account.id for account in accounts}, set(self.sim.ACCOUNT_IDS.values())
        )
        self.assertEqual(self.sim.count("GET", "/accounts", status=200), 1)
        ibans = {account.iban for account in accounts}
        self.assertIn(self.sim.ACCOUNT_IBANS["kbc-checking"], ibans)

    def test_client_refuses_an_untrusted_certificate(self):
        """Without the simulator's CA, the system CAs do not trust it."""
        self.provider.ca_bundle = False
        with self.assertRaises(errors.BankSyncError) as caught:
            self.provider._build_client().list_accounts()
        self.assertIn("TLS", str(caught.exception))
        self.assertNotIn(self.sim.CUSTOM_CLIENT_SECRET, str(caught.exception))

    def test_client_of_a_link(self):
        link = self.make_link()
        client = self.client(link)
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.assertEqual(client.auth.redirect_uri, f"{base_url}/bank_sync/oauth/return")
        self.assertEqual(client.time_zone, "Europe/Brussels")
        self.assertEqual(client.base_url, self.sim.api_url)

    def test_api_tokens_are_kept_on_the_link(self):
        link = self.make_link()
        self.client(link).list_accounts()
        self.assertEqual(self.sim.count("POST", "/oauth2/token"), 1)
        stored = link.sudo()
        self.assertTrue(stored.access_token)
        self.assertFalse(stored.refresh_token)  # client credentials: none
        self.assertGreater(stored.token_expires_at, fields.Datetime.now())
        # the next client (say, the next cron run) reuses the stored token
        self.client(link).list_accounts()
        self.assertEqual(self.sim.count("POST", "/oauth2/token"), 1)
        self.assertEqual(self.sim.count("GET", "/accounts"), 2)

    def test_connect_tokens_rotate_onto_the_link(self):
        link = self.make_link(provider=self.connect_provider, state="draft")
        client = self.client(link)
        request = client.authorization_request()
        self.assertTrue(request.url.startswith(self.sim.authorization_url))
        redirect = self.sim.complete_authorization(request.url)
        self.assertIn("/bank_sync/oauth/return?", redirect)
        query = dict(parse_qsl(urlsplit(redirect).query))
        self.assertEqual(query["state"], request.state)
        client.exchange_code(query["code"], request.code_verifier)
        first = link.sudo().refresh_token
        self.assertTrue(first)
        self.assertTrue(link.sudo().access_token)

        # a new client reads the stored tokens; refreshing rotates them at once
        self.client(link).refresh()
        second = link.sudo().refresh_token
        self.assertTrue(second)
        self.assertNotEqual(first, second)
        # the stored (rotated) refresh token is the one the provider accepts
        self.client(link).refresh()
        self.assertNotEqual(link.sudo().refresh_token, second)
        self.assertEqual(
            len(self.client(link).list_accounts()), len(self.sim.ACCOUNT_IDS)
        )

    def test_default_urls_follow_the_profile(self):
        provider = self.env["bank.sync.provider"].create(
            {"name": "Ponto Connect", "code": "ponto", "ponto_profile": "ponto_connect"}
        )
        self.assertEqual(provider.environment, "sandbox")
        self.assertEqual(provider.api_base_url, "https://api.ibanity.com/ponto-connect")
        self.assertEqual(
            provider.authorization_url,
            "https://sandbox-authorization.myponto.com/oauth2/auth",
        )
        provider.environment = "live"
        self.assertEqual(
            provider.authorization_url, "https://authorization.myponto.com/oauth2/auth"
        )
        provider.ponto_profile = "ponto_api"
        self.assertEqual(provider.api_base_url, "https://api.myponto.com")
        self.assertFalse(provider.authorization_url)
        # the simulator's URLs given at creation are kept
        self.assertEqual(self.provider.api_base_url, self.sim.api_url)
        self.assertEqual(
            self.connect_provider.authorization_url, self.sim.authorization_url
        )


@tagged("post_install", "-at_install")
class TestInstitutions(PontoCommon):
    def _institutions(self, provider=None):
        return self.env["bank.sync.institution"].search(
            [("provider_id", "=", (provider or self.provider).id)]
        )

    def _by_ref(self, ref):
        return self._institutions().filtered(lambda i: i.provider_ref == ref)

    def test_refresh_institutions(self):
        action = self.provider.action_refresh_institutions()
        self.assertEqual(action["tag"], "display_notification")
        institutions = self._institutions()
        self.assertEqual(len(institutions), 9)
        self.assertEqual(self.provider.institution_count, 9)

        kbc = self._by_ref(self.sim.FI_KBC_ID)
        self.assertEqual(kbc.name, "KBC Bank")
        self.assertEqual(kbc.bic, "KREDBEBB")
        self.assertEqual(kbc.country_id, self.env.ref("base.be"))
        self.assertEqual(kbc.time_zone, "Europe/Brussels")
        self.assertEqual(kbc.status, "stable")
        self.assertFalse(kbc.maintenance)
        self.assertEqual(kbc.company_id, self.company)
        self.assertTrue(kbc.logo_url)

        self.assertEqual(self._by_ref(self.sim.FI_BETA_ID).status, "beta")
        statuses = institutions.mapped("status")
        self.assertEqual(statuses.count("experimental"), 1)

        crelan = self._by_ref(self.sim.FI_MAINTENANCE_ID)
        self.assertTrue(crelan.maintenance)
        self.assertEqual(crelan.maintenance_type, "financialInstitution")
        self.assertGreater(crelan.maintenance_until, fields.Datetime.now())
        self.assertEqual(institutions.filtered("maintenance"), crelan)

    def test_refresh_again_updates_in_place(self):
        self.provider.action_refresh_institutions()
        before = self._institutions()
        self.sim.clear_maintenance(self.sim.FI_MAINTENANCE_ID)
        self.sim.set_maintenance(self.sim.FI_KBC_ID)
        self.provider.action_refresh_institutions()
        after = self._institutions()
        self.assertEqual(before, after, "no duplicate, no new record")
        self.assertFalse(self._by_ref(self.sim.FI_MAINTENANCE_ID).maintenance)
        self.assertTrue(self._by_ref(self.sim.FI_KBC_ID).maintenance)

    def test_refresh_by_country(self):
        Institution = self.env["bank.sync.institution"]
        dutch = Institution._refresh_from_provider(self.provider, country="NL")
        self.assertEqual(len(dutch), 2)
        self.assertEqual(dutch.country_id, self.env.ref("base.nl"))
        self.assertEqual(len(self._institutions()), 2)

    def test_institutions_are_per_provider(self):
        self.provider.action_refresh_institutions()
        self.connect_provider.action_refresh_institutions()
        self.assertEqual(len(self._institutions(self.connect_provider)), 9)
        self.assertNotEqual(
            self.institution(self.provider), self.institution(self.connect_provider)
        )

    def test_name_search_by_bic(self):
        self.provider.action_refresh_institutions()
        found = self.env["bank.sync.institution"].name_search("GEBABEBB")
        self.assertEqual(
            [name for _id, name in found], ["BNP Paribas Fortis (GEBABEBB)"]
        )


@tagged("post_install", "-at_install")
class TestJournalAndLines(PontoCommon):
    def _line(self, journal, ref, **values):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": journal.id,
                "date": "2026-01-15",
                "payment_ref": f"Transaction {ref}",
                "amount": 12.5,
                "bank_sync_ref": ref,
                **values,
            }
        )

    def test_online_sync_is_a_bank_statements_source(self):
        field = self.env["account.journal"]._fields["bank_statements_source"]
        values = dict(field._description_selection(self.env))
        self.assertIn("undefined", values)
        self.assertEqual(values["online_sync"], "Online synchronization")
        link = self.make_link()
        account, journal = self.map_account(link, self.sim.ACCOUNT_CHECKING_ID)
        self.assertEqual(journal.bank_statements_source, "online_sync")
        self.assertEqual(journal.bank_sync_account_id, account)
        self.assertEqual(journal.bank_sync_link_id, link)
        self.assertEqual(link.journal_ids, journal)
        self.assertEqual(
            self.env["bank.sync.link"].search([("journal_ids", "in", journal.ids)]),
            link,
        )

    def test_unique_transaction_per_journal(self):
        link = self.make_link()
        _account, journal = self.map_account(link, self.sim.ACCOUNT_CHECKING_ID)
        _account2, journal2 = self.map_account(link, self.sim.ACCOUNT_SAVINGS_ID)
        self._line(journal, "tx-1")
        self._line(journal2, "tx-1")  # another journal: allowed
        self._line(journal, False)  # lines without a reference (manual, files)
        self._line(journal, False)
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self._line(journal, "tx-1")

    def test_one_online_account_per_journal(self):
        link = self.make_link()
        _account, journal = self.map_account(link, self.sim.ACCOUNT_CHECKING_ID)
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.map_account(link, self.sim.ACCOUNT_SAVINGS_ID, journal=journal)

    def test_connected_until_is_the_earliest_consent(self):
        link = self.make_link()
        account, _journal = self.map_account(
            link, self.sim.ACCOUNT_CHECKING_ID, consent_expires_at="2027-03-01 10:00:00"
        )
        self.assertEqual(link.connected_until, account.consent_expires_at)
        self.map_account(
            link, self.sim.ACCOUNT_SAVINGS_ID, consent_expires_at="2027-01-01 10:00:00"
        )
        self.assertEqual(
            link.connected_until, fields.Datetime.to_datetime("2027-01-01 10:00:00")
        )
        account.consent_expires_at = "2026-12-01 10:00:00"
        self.assertEqual(link.connected_until, account.consent_expires_at)
        self.assertEqual(link.name, "KBC Bank (Ponto)")


@tagged("post_install", "-at_install")
class TestProviderErrors(PontoCommon):
    def test_refresh_institutions_when_the_provider_fails(self):
        self.sim.add_fault("malformed", path="/financial-institutions")
        with self.assertRaises(UserError) as caught:
            self.provider.action_refresh_institutions()
        self.assertIn("Ponto (simulator)", str(caught.exception))
        self.assertFalse(
            self.env["bank.sync.institution"].search(
                [("provider_id", "=", self.provider.id)]
            )
        )
