from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_module_installed(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "account_bank_sync")]
        )
        self.assertEqual(module.state, "installed")

    def test_manifest_excludes_enterprise_sync(self):
        manifest = get_manifest("account_bank_sync")
        self.assertIn("account_online_synchronization", manifest["excludes"])
        self.assertEqual(manifest["version"], "18.0.1.0.0")
