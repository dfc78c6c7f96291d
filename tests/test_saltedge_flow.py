"""Salt Edge end to end through the seam, over HTTPS against the simulator:
Connect → the widget → back to Odoo → map → lines in the journal; again with
nothing twice; duplicated and pending transactions never booked; a refusal on
the widget; Disconnect."""

from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .http_common import OAUTH_RETURN_PATH
from .saltedge_common import CURRENT, SaltEdgeHttpCommon


@tagged("post_install", "-at_install")
class TestSaltEdgeFlow(SaltEdgeHttpCommon):
    def start_connect(self):
        institution = self.institution()
        wizard = (
            self.env["bank.sync.connect.wizard"]
            .with_user(self.admin)
            .create({"provider_id": self.provider.id, "institution_id": institution.id})
        )
        action = wizard.action_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith(self.sim.root_url + "/connect/"))
        return action["url"]

    def connect(self):
        """Connect bank → Salt Edge's widget → back to Odoo; returns the
        connection and the account wizard it opens."""
        back = self.walk_widget(self.start_connect())
        params = self.query(back)
        self.assertTrue(params.get("connection_id"), back)
        response = self.back_to_odoo(back, OAUTH_RETURN_PATH)
        self.assertEqual(response.status_code, 303, response.text[:500])
        location = response.headers["Location"]
        self.assertIn("action_bank_sync_account_wizard", location)
        wizard = self.env["bank.sync.account.wizard"].browse(
            int(location.rstrip("/").rsplit("/", 1)[-1])
        )
        link = wizard.link_id
        self.assertEqual(link.provider_organization_id, params["connection_id"])
        return link, wizard

    def test_connect_map_import_again(self):
        link, wizard = self.connect()
        self.assertEqual(link.state, "authorized")
        self.assertEqual(link.name, "KBC Business (Salt Edge)")
        # the widget's connect: signed requests only, each one accepted
        self.assertEqual(self.sim.count(status=401), 0)
        self.assertEqual(self.sim.count("POST", "*/connections/connect"), 1)
        # the two KBC accounts, each for a new journal, 90 days back
        self.assertEqual(len(wizard.line_ids), 2)
        self.assertEqual(set(wizard.line_ids.mapped("action")), {"create"})
        start = fields.Date.context_today(wizard) - timedelta(days=90)
        self.assertEqual(set(wizard.line_ids.mapped("first_import_date")), {start})
        wizard.action_confirm()
        self.assertEqual(link.state, "connected")
        self.assertEqual(len(link.journal_ids), 2)
        # the consent's end is the connection's end
        consent = self.sim.world.consents[
            self.sim.world.connections[link.provider_organization_id].last_consent_id
        ]
        self.sim.reset_log()
        link._sync()
        self.assertEqual(link.state, "connected", link.last_error_message)
        self.assertEqual(
            fields.Datetime.to_string(link.connected_until)[:16],
            consent.expires_at.strftime("%Y-%m-%d %H:%M"),
        )
        for account in link.online_account_ids:
            expected = self.bookable(account.provider_ref, since=start)
            booked = set(account.statement_line_ids.mapped("bank_sync_ref"))
            self.assertEqual(booked, expected, account.name)
            self.assertFalse(booked & self.duplicated(account.provider_ref))
            # the opening balance: Odoo's balance is the bank's
            self.assertEqual(account.journal_id.bank_statements_source, "online_sync")
        current = max(link.online_account_ids, key=lambda a: len(a.statement_line_ids))
        self.assertTrue(current.statement_line_ids)
        self.assertEqual(self.sim.count(status=401), 0)

        # again: nothing twice; a new transaction at the bank arrives once
        before = len(current.statement_line_ids)
        link._sync()
        self.assertEqual(len(current.statement_line_ids), before)
        self.sim.add_transactions(current.provider_ref, 2, fetched=True)
        link._sync()
        self.assertEqual(len(current.statement_line_ids), before + 2)

    def test_duplicated_and_pending_are_never_booked(self):
        link = self.make_link()
        account, journal = self.map_account(link, CURRENT)
        self.sim.add_pending(account.provider_ref, 2, fetched=True)
        link._sync()
        booked = set(self.lines(journal).mapped("bank_sync_ref"))
        self.assertEqual(booked, self.bookable(account.provider_ref))
        self.assertTrue(self.duplicated(account.provider_ref))
        self.assertFalse(booked & self.duplicated(account.provider_ref))
        with self.sim.lock:
            pending = self.sim.world.accounts[account.provider_ref].pending
        self.assertTrue(pending, "the simulator has pending transactions")

    def test_refused_on_the_bank_page(self):
        back = self.walk_widget(self.start_connect(), decision="deny")
        self.assertIn("error_class", self.query(back))
        response = self.back_to_odoo(back, OAUTH_RETURN_PATH)
        self.assertEqual(response.status_code, 400)
        self.assertIn("did not authorise", response.text)
        link = self.env["bank.sync.link"].search(
            [("provider_id", "=", self.provider.id)]
        )
        self.assertEqual(link.state, "draft")
        self.assertFalse(link.provider_organization_id)

    def test_disconnect_revokes_and_keeps_the_lines(self):
        link = self.make_link()
        _account, journal = self.map_account(link, CURRENT)
        link._sync()
        lines = self.lines(journal)
        self.assertTrue(lines)
        connection = link.provider_organization_id
        link.action_disconnect()
        self.assertEqual(link.state, "disconnected")
        self.assertEqual(self.lines(journal), lines)
        self.assertEqual(self.sim.count("DELETE", f"*/connections/{connection}"), 1)
        self.assertEqual(self.sim.count("PUT", "*/consents/*/revoke"), 1)
        self.assertNotIn(connection, self.sim.world.connections)

    def test_banks_of_a_country_and_the_sandbox(self):
        institutions = self.env["bank.sync.institution"]
        for _run in range(2):  # a country's list brings the sandbox along
            found = institutions._refresh_from_provider(self.provider, country="BE")
        codes = set(found.mapped("provider_ref"))
        self.assertIn("kbc_business_be", codes)
        self.assertIn("fakebank_oauth_xf", codes)  # a test account level
        self.assertNotIn("crelan_be", codes)  # disabled: never offered
        self.assertNotIn("abn_amro_business_nl", codes)
        kbc = found.filtered(lambda i: i.provider_ref == "kbc_business_be")
        self.assertEqual(kbc.max_history_days, 730)
        self.assertEqual(kbc.bic, "KREDBEBB")

    def test_the_first_import_date_within_the_banks_history(self):
        link = self.make_link()
        link.institution_id.max_history_days = 30
        wizard = self.env["bank.sync.account.wizard"]._create_for_link(link)
        line = wizard.line_ids[0]
        today = fields.Date.context_today(wizard)
        self.assertEqual(line.first_import_date, today - timedelta(days=30))
        (wizard.line_ids - line).action = "ignore"
        line.first_import_date = today - timedelta(days=40)
        with self.assertRaisesRegex(UserError, "gives 30 days of history"):
            wizard.action_confirm()
        line.first_import_date = today - timedelta(days=30)
        wizard.action_confirm()
        self.assertEqual(link.state, "connected")

    def test_one_customer_per_company(self):
        provider = self.provider.sudo()
        provider.saltedge_customer_ref = False
        url = self.start_connect()  # Connect creates the company's customer
        self.assertTrue(url)
        first = provider.saltedge_customer_ref
        self.assertTrue(first)
        self.assertNotEqual(first, self.sim.SEED_CUSTOMER_ID)
        self.assertEqual(self.sim.count("POST", "*/customers"), 1)
        # forgotten on our side: Salt Edge's DuplicatedCustomer finds it again
        provider.saltedge_customer_ref = False
        provider._build_client().ensure_customer()
        self.assertEqual(provider.saltedge_customer_ref, first)
        # another company: its own customer
        other = self.env["res.company"].create({"name": "Other BV"})
        other_provider = self.create_provider(company=other).sudo()
        other_provider._build_client().ensure_customer()
        self.assertTrue(other_provider.saltedge_customer_ref)
        self.assertNotEqual(other_provider.saltedge_customer_ref, first)

    def test_the_provider_form(self):
        """Salt Edge's form hides what it does not use, without undoing what
        Ponto's form hides."""
        arch = self.env["bank.sync.provider"].get_view(
            self.env.ref("account_bank_sync.bank_sync_provider_view_form").id,
            view_type="form",
        )["arch"]
        for xpath in ("//group[@name='keys']", "//field[@name='client_key_password']"):
            invisible = etree.fromstring(arch).xpath(xpath)[0].get("invisible")
            self.assertIn("code == 'saltedge'", invisible)
            self.assertIn("ponto_profile != 'ponto_connect'", invisible)
        self.assertIn('name="saltedge_callback_url"', arch)
        self.assertEqual(
            self.provider.saltedge_callback_url,
            self.base_url() + "/bank_sync/saltedge/callback/success",
        )

    def test_connected_again_into_the_same_journal(self):
        """Disconnect, connect the bank again (a new Salt Edge connection: new
        transaction ids), map the same journal: the week of overlap is not
        imported twice; what is new since is imported once."""
        link = self.make_link()
        account, journal = self.map_account(link, CURRENT)
        link._sync()
        before = len(self.lines(journal))
        self.assertGreater(before, 50)
        link.action_disconnect()
        self.sim.add_transactions(CURRENT, 3)
        connection = self.sim.create_connection(
            customer_id=self.sim.SEED_CUSTOMER_ID, provider_code="kbc_business_be"
        )
        again = self.make_link(connection_id=connection, state="authorized")
        wizard = self.env["bank.sync.account.wizard"]._create_for_link(again)
        line = wizard.line_ids.filtered(lambda w: w.iban == account.iban)
        (wizard.line_ids - line).action = "ignore"
        line.write({"action": "map", "journal_id": journal.id})
        start = line.first_import_date
        self.assertLess(start, max(self.lines(journal).mapped("date")))
        wizard.action_confirm()
        again._sync()
        lines = self.lines(journal)
        self.assertEqual(len(lines), before + 3, "the overlap imported twice")
        fresh = lines.filtered(lambda line: line.bank_sync_account_id != account)
        self.assertEqual(len(fresh), 3)

    def test_removed_at_salt_edge_without_its_callback(self):
        """The connection was removed at Salt Edge and its ``destroy`` callback
        never came: the next run finds it gone and disconnects (the lines
        kept), instead of asking for a Renew that cannot work."""
        link = self.make_link()
        _account, journal = self.map_account(link, CURRENT)
        link._sync()
        lines = self.lines(journal)
        self.sim.drop_connection(link.provider_organization_id, destroy=False)
        link._sync()
        self.assertEqual(link.state, "disconnected")
        self.assertIn("was removed on its side", link.message_ids[0].body)
        self.assertEqual(self.lines(journal), lines)
        self.assertEqual(journal.bank_statements_source, "undefined")
