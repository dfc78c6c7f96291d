from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestClientsImport(TransactionCase):
    def test_ponto_client_importable_inside_odoo(self):
        """The Odoo-free clients also import as part of the addon, with Odoo's
        pinned requests/urllib3/cryptography."""
        from odoo.addons.account_bank_sync.clients import ponto

        self.assertTrue(hasattr(ponto, "PontoClient"))
