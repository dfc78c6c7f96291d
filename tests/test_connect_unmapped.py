"""A connection without a mapped account is not "Connected" (issue 9): it is
"Authorised" until an account has its journal, the scheduler leaves it alone,
and Disconnect still revokes its grant at the provider."""

from odoo.tests import tagged

from .ponto_common import PontoHttpCommon


@tagged("post_install", "-at_install")
class TestUnmappedConnection(PontoHttpCommon):
    def connect(self, provider):
        institution = self.institution(provider)
        wizard = (
            self.env["bank.sync.connect.wizard"]
            .with_user(self.admin)
            .create({"provider_id": provider.id, "institution_id": institution.id})
        )
        action = wizard.action_connect()
        if action.get("url"):  # Ponto Connect: its page, then our return
            redirect = self.sim.complete_authorization(action["url"])
            self.assertEqual(self.back_to_odoo(redirect).status_code, 303)
            link = self.env["bank.sync.link"].search(
                [("provider_id", "=", provider.id)], order="id desc", limit=1
            )
            return link, self.env["bank.sync.account.wizard"]._create_for_link(link)
        wizard = self.env["bank.sync.account.wizard"].browse(action["res_id"])
        return wizard.link_id, wizard

    def test_authorised_until_an_account_is_mapped(self):
        link, wizard = self.connect(self.provider)
        self.assertEqual(link.state, "authorized")
        self.assertEqual(
            dict(link._fields["state"]._description_selection(self.env))[link.state],
            "Authorised",
        )
        self.assertIn("click Fetch Accounts", link.message_ids[0].body)
        self.assertNotIn("Connected", link.message_ids[0].body)
        # cancelling the mapping leaves it so; the scheduler does not read it
        self.sim.reset_log()
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertEqual(link.state, "authorized")
        self.assertEqual(len(self.sim.requests), 0)
        # one account mapped: connected, and its import starts
        for line in wizard.line_ids:
            line.action = "create" if line == wizard.line_ids[0] else "ignore"
        wizard.action_confirm()
        self.assertEqual(link.state, "connected")
        self.assertEqual(len(link.journal_ids), 1)

    def test_disconnect_revokes_an_unmapped_grant(self):
        link, _wizard = self.connect(self.connect_provider)
        self.assertEqual(link.state, "authorized")
        self.assertTrue(link.sudo().refresh_token)
        refresh = link.sudo().refresh_token
        link.action_disconnect()
        self.assertEqual(link.state, "disconnected")
        self.assertFalse(link.sudo().access_token or link.sudo().refresh_token)
        self.assertEqual(self.sim.count("POST", "*/oauth2/revoke"), 1)
        self.assertTrue(self.sim.store.tokens[refresh].revoked)
