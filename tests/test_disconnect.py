"""Disconnect: revoked at the provider (what fails is said, and does not
block), every imported line kept, the journals back to manual, and connecting
the bank again proposes the former journals."""

from urllib.parse import parse_qsl, urlsplit

import requests

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestDisconnect(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a custom-integration connection with two accounts imported
        cls._imported = cls.make_link()
        cls.map_account(cls._imported, cls.sim.ACCOUNT_CHECKING_ID)
        cls.map_account(cls._imported, cls.sim.ACCOUNT_SAVINGS_ID)
        for ref in (cls.sim.ACCOUNT_CHECKING_ID, cls.sim.ACCOUNT_SAVINGS_ID):
            cls.sim.queue_bank_transactions(ref, 2)
        cls._imported._sync()

    def imported_link(self):
        """A custom-integration connection with two accounts imported."""
        link = self._imported
        self.assertEqual(link.state, "connected")
        return link

    def link_lines(self, link):
        return self.env["account.bank.statement.line"].search(
            [("bank_sync_account_id", "in", link.online_account_ids.ids)]
        )

    def test_disconnect_custom_integration(self):
        link = self.imported_link()
        journals = link.journal_ids
        lines = self.link_lines(link)
        self.assertTrue(lines)
        integration = self.sim.store.integrations[self.sim.custom_integration_id]
        self.assertIn(self.sim.ACCOUNT_CHECKING_ID, integration.account_ids)

        bookkeeper = new_test_user(
            self.env, login="bookkeeper", groups="account.group_account_user"
        )
        manager = new_test_user(
            self.env,
            login="accounting_manager",
            groups="account.group_account_user,account.group_account_manager",
        )
        link.user_id = bookkeeper
        self.env.cr.flush()  # what happened before is another transaction
        messages = link.message_ids
        # a bookkeeper cannot (the button is an accounting manager's)
        with self.assertRaises(AccessError):
            link.with_user(bookkeeper).action_disconnect()
        self.assertEqual(link.state, "connected")
        link.with_user(manager).action_disconnect()
        self.env.cr.flush()  # tracking runs before commit

        self.assertEqual(link.state, "disconnected")
        self.assertEqual(self.link_lines(link), lines)
        self.assertTrue(all(line.exists() for line in lines))
        self.assertEqual(set(journals.mapped("bank_statements_source")), {"undefined"})
        self.assertFalse(link.journal_ids)
        self.assertFalse(link.connected_until)
        self.assertFalse(link.next_sync)
        # removed from the integration at the provider
        self.assertNotIn(self.sim.ACCOUNT_CHECKING_ID, integration.account_ids)
        self.assertNotIn(self.sim.ACCOUNT_SAVINGS_ID, integration.account_ids)
        self.assertEqual(self.sim.count("DELETE", "*/accounts/*", 200), 2)
        listed = {acc.id for acc in self.provider._build_client().list_accounts()}
        self.assertNotIn(self.sim.ACCOUNT_CHECKING_ID, listed)
        message = link.message_ids - messages
        self.assertEqual(len(message), 1, "no tracking message besides")
        self.assertIn("Disconnected", message.body)
        self.assertIn(f"The {len(lines)} imported transactions are kept", message.body)
        # the hourly import leaves it alone
        self.assertFalse(
            link.filtered_domain(self.env["bank.sync.link"]._cron_due_domain())
        )

    def test_provider_errors_do_not_block(self):
        link = self.imported_link()
        lines = self.link_lines(link)
        self.sim.add_fault("malformed", "DELETE", "*/accounts/*", times=None)
        link.action_disconnect()
        self.assertEqual(link.state, "disconnected")
        self.assertEqual(self.link_lines(link), lines)
        self.assertEqual(
            set(lines.journal_id.mapped("bank_statements_source")), {"undefined"}
        )
        body = link.message_ids[0].body
        self.assertIn("could not revoke everything", body)
        self.assertIn("account", body)

    def test_draft_asks_nothing(self):
        link = self.make_link(state="draft")
        requests_before = len(self.sim.requests)
        link.action_disconnect()
        self.assertEqual(link.state, "disconnected")
        self.assertEqual(len(self.sim.requests), requests_before)


@tagged("post_install", "-at_install")
class TestDisconnectConnect(PontoCommon):
    """Ponto Connect: the tokens are revoked, and connecting the bank again
    through the connect wizard proposes the former journals."""

    def connect(self, bank=None):
        """Connect KBC (or ``bank``) through the connect wizard and the
        provider's page; the return is the controller's own code."""
        institution = self.institution(self.connect_provider, bank)
        wizard = self.env["bank.sync.connect.wizard"].create(
            {
                "provider_id": self.connect_provider.id,
                "institution_id": institution.id,
            }
        )
        action = wizard.action_connect()
        redirect = self.sim.complete_authorization(action["url"])
        params = dict(parse_qsl(urlsplit(redirect).query))
        session = self.env["bank.sync.auth.session"]._consume(params["state"])
        self.assertTrue(session)
        link = session.link_id
        session._complete(params)
        self.assertEqual(link.state, "authorized")
        return self.env["bank.sync.account.wizard"]._create_for_link(link)

    def test_tokens_refused_and_mappings_reused(self):
        account_wizard = self.connect()
        link = account_wizard.link_id
        self.assertTrue(link.authorized_at)
        self.assertEqual(
            set(account_wizard.line_ids.mapped("action")), {"create"}, "new journals"
        )
        account_wizard.action_confirm()
        journals = link.journal_ids
        self.assertEqual(len(journals), 2)
        for account in link.online_account_ids:
            self.sim.queue_bank_transactions(account.provider_ref, 2)
        link._sync()
        lines = self.link_lines(journals)
        self.assertTrue(lines)
        access, refresh = link.sudo().access_token, link.sudo().refresh_token

        link.action_disconnect()

        self.assertEqual(link.state, "disconnected")
        self.assertFalse(link.sudo().access_token or link.sudo().refresh_token)
        self.assertEqual(self.link_lines(journals), lines)
        self.assertEqual(set(journals.mapped("bank_statements_source")), {"undefined"})
        # the simulator refuses the old tokens
        answer = requests.get(
            f"{self.sim.connect_url}/accounts",
            headers={"Authorization": f"Bearer {access}"},
            verify=self.sim.ca_file,
            timeout=10,
        )
        self.assertEqual(answer.status_code, 401)
        self.assertTrue(self.sim.store.tokens[refresh].revoked)
        self.assertIsNone(self.sim.active_connect_integration())

        # connecting the bank again proposes the same journals
        again = self.connect()
        self.assertNotEqual(again.link_id, link)
        proposed = {
            line.provider_ref: (line.action, line.journal_id) for line in again.line_ids
        }
        expected = {
            account.provider_ref: ("map", journal)
            for journal in journals
            for account in self.env["bank.sync.account"].search(
                [("link_id", "=", link.id), ("iban", "=", journal.bank_acc_number)]
            )
        }
        self.assertEqual(proposed, expected)
        again.action_confirm()
        self.assertEqual(again.link_id.journal_ids, journals)
        self.assertEqual(
            set(journals.mapped("bank_statements_source")), {"online_sync"}
        )
        again.link_id._sync()
        self.assertEqual(self.link_lines(journals), lines, "no duplicate")

    def link_lines(self, journals):
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "in", journals.ids)]
        )

    def test_one_of_two_connections_of_the_integration(self):
        """Defect 6: KBC and BNP through one Ponto Connect application share
        the organisation's integration: disconnecting KBC removes KBC's
        accounts only; BNP keeps working."""
        kbc = self.connect()
        kbc.action_confirm()
        bnp = self.connect(self.sim.FI_BNP_ID)
        bnp.action_confirm()
        kbc, bnp = kbc.link_id, bnp.link_id
        self.assertEqual(kbc.provider_organization_id, bnp.provider_organization_id)
        self.sim.reset_log()

        kbc.action_disconnect()

        self.assertEqual(kbc.state, "disconnected")
        self.assertEqual(self.sim.count("POST", "*/oauth2/revoke"), 0)
        removed = {
            r.path.rsplit("/", 1)[-1] for r in self.sim.requests if r.method == "DELETE"
        }
        self.assertEqual(removed, set(kbc.online_account_ids.mapped("provider_ref")))
        self.assertIsNotNone(self.sim.active_connect_integration())
        for account in bnp.online_account_ids:
            self.sim.queue_bank_transactions(account.provider_ref, 2)
        bnp._sync()
        self.assertEqual(bnp.state, "connected")
        self.assertTrue(self.link_lines(bnp.journal_ids))

        # the last connection of the integration revokes it
        bnp.action_disconnect()
        self.assertEqual(self.sim.count("POST", "*/oauth2/revoke"), 1)
        self.assertIsNone(self.sim.active_connect_integration())
