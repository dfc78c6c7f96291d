from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestHttp(HttpCase):
    """The test harness serves Odoo over HTTP (pytest-odoo --odoo-http)."""

    def test_login_page(self):
        response = self.url_open("/web/login")
        self.assertEqual(response.status_code, 200)
        self.assertIn("oe_login_form", response.text)
