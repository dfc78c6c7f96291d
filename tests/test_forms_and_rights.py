"""Rights and forms (issue 9): the synchronization fields are read-only,
bookkeepers reach the connections from the Accounting menu, the provider form
of a custom integration shows no mutual-TLS field, a connection is named after
its bank and service."""

from lxml import etree

from odoo.tests import new_test_user, tagged

from .ponto_common import PontoCommon

READ_ONLY = (
    "last_sync",
    "next_sync",
    "last_error_message",
    "error_since",
    "provider_organization_id",
)


@tagged("post_install", "-at_install")
class TestFormsAndRights(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bookkeeper = new_test_user(
            cls.env, login="bs_forms_bookkeeper", groups="account.group_account_user"
        )

    def test_technical_fields_are_read_only(self):
        fields = self.env["bank.sync.link"].fields_get(READ_ONLY, ["readonly"])
        for name in READ_ONLY:
            with self.subTest(field=name):
                self.assertTrue(fields[name]["readonly"])
        arch = etree.fromstring(
            self.env["bank.sync.link"]
            .with_user(self.bookkeeper)
            .get_view(view_type="form")["arch"]
        )
        disconnect = arch.xpath("//button[@name='action_disconnect']")
        self.assertFalse(disconnect, "a bookkeeper is shown no Disconnect")

    def test_bookkeepers_reach_the_connections(self):
        menu = self.env.ref("account_bank_sync.menu_bank_sync_link_entries")
        visible = self.env["ir.ui.menu"].with_user(self.bookkeeper)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertIn(menu.parent_id.id, visible)

    def test_custom_integration_form_shows_what_it_needs(self):
        view = self.env.ref("account_bank_sync.bank_sync_provider_view_form_ponto")
        arch = etree.fromstring(
            self.env["bank.sync.provider"].get_view(
                view.inherit_id.id, view_type="form"
            )["arch"]
        )
        keys = arch.xpath("//group[@name='keys']")[0]
        self.assertIn("ponto_profile != 'ponto_connect'", keys.get("invisible"))
        password = arch.xpath("//field[@name='client_key_password']")[0]
        self.assertIn("ponto_profile != 'ponto_connect'", password.get("invisible"))

    def test_connection_name(self):
        link = self.make_link()
        self.assertEqual(link.name, "KBC Bank (Ponto)")
