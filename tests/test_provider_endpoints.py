"""Where a provider's credentials go (environment, URLs, CA, client
certificate) is decided by Settings administrators only, and over https
outside the simulator (issue 7, defect 2)."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .ponto_common import PontoCommon

#: the provider fields that decide where the secrets and tokens are sent
ENDPOINT_FIELDS = (
    "environment",
    "api_base_url",
    "authorization_url",
    "ca_bundle",
    "client_certificate",
)
EVIL = {
    "environment": "live",  # the providers of the tests are in sandbox
    "api_base_url": "https://attacker.example",
    "authorization_url": "https://attacker.example/oauth2/auth",
    "ca_bundle": "-----BEGIN CERTIFICATE-----\nattacker\n-----END CERTIFICATE-----",
    "client_certificate": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
}


@tagged("post_install", "-at_install")
class TestProviderEndpoints(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="bs_endpoint_manager",
            groups="base.group_user,account.group_account_user,"
            "account.group_account_manager",
        )
        cls.admin = new_test_user(
            cls.env,
            login="bs_endpoint_admin",
            groups="base.group_user,base.group_system,account.group_account_manager",
        )

    def endpoints(self, provider):
        return provider.sudo().read(list(ENDPOINT_FIELDS))[0]

    def test_manager_cannot_move_the_endpoints(self):
        before = self.endpoints(self.connect_provider)
        provider = self.connect_provider.with_user(self.manager)
        for name, value in EVIL.items():
            with self.subTest(field=name), self.assertRaises(AccessError):
                provider.write({name: value})
        with self.assertRaises(AccessError):
            provider.write({"environment": "live", "api_base_url": "http://x"})
        self.assertEqual(self.endpoints(self.connect_provider), before)
        # what the manager may still change
        provider.write({"name": "Ponto Connect (renamed)", "consent_days": 90})
        # the secrets still go to the simulator, nowhere else
        self.assertTrue(self.connect_provider._build_client().authorization_request())
        self.provider.with_user(self.manager)._build_client().list_accounts()
        self.assertEqual(self.sim.count("GET", "/accounts", status=200), 1)

    def test_manager_creates_a_provider_on_the_official_endpoints_only(self):
        Provider = self.env["bank.sync.provider"].with_user(self.manager)
        provider = Provider.create(
            {"name": "Ponto", "code": "ponto", "client_id": "my-client"}
        )
        self.assertEqual(
            {k: v for k, v in self.endpoints(provider).items() if k != "id"},
            {
                "environment": "sandbox",
                "api_base_url": "https://api.myponto.com",
                "authorization_url": False,
                "ca_bundle": False,
                "client_certificate": False,
            },
        )
        connect = Provider.create(
            {"name": "Connect", "code": "ponto", "ponto_profile": "ponto_connect"}
        )
        self.assertEqual(
            connect.sudo().authorization_url,
            "https://sandbox-authorization.myponto.com/oauth2/auth",
        )
        # create() checks no field right in Odoo: the constraint does
        for name, value in EVIL.items():
            if name == "environment":
                continue  # sandbox: the default
            with self.subTest(field=name):
                with self.assertRaises(ValidationError) as caught:
                    Provider.create({"name": "Elsewhere", "code": "ponto", name: value})
                self.assertIn("Only Settings administrators", str(caught.exception))
        for values in (
            {"api_base_url": "http://127.0.0.1:8443"},
            {"api_base_url": "http://attacker.example"},
            {
                "ponto_profile": "ponto_connect",
                "authorization_url": "https://x.example",
            },
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                Provider.create({"name": "Elsewhere", "code": "ponto", **values})
        self.assertEqual(Provider.search([("name", "=", "Elsewhere")]), Provider)

    def test_manager_form_opens_and_creates_without_the_endpoints(self):
        """The form a manager opens: no endpoint field, no access error."""
        Provider = self.env["bank.sync.provider"].with_user(self.manager)
        views = Provider.get_views(
            [(False, "form"), (False, "list"), (False, "search")]
        )
        fields = views["models"]["bank.sync.provider"]["fields"]
        for name in ENDPOINT_FIELDS:
            with self.subTest(field=name):
                self.assertNotIn(name, fields)
                for view in ("form", "list", "search"):
                    self.assertNotIn(f"'{name}'", views["views"][view]["arch"])
                    self.assertNotIn(f'"{name}"', views["views"][view]["arch"])
        spec = {name: {} for name in fields if name not in ("link_ids",)}
        values = self.connect_provider.with_user(self.manager).web_read(spec)[0]
        self.assertEqual(values["name"], "Ponto Connect (simulator)")
        self.assertTrue(Provider.web_search_read([], {"name": {}})["records"])
        with Form(Provider) as form:
            form.name = "Ponto from the form"
            form.code = "ponto"
        provider = form.save()
        self.assertEqual(provider.sudo().api_base_url, "https://api.myponto.com")
        # an administrator sees and sets them
        admin_views = Provider.with_user(self.admin).get_views([(False, "form")])
        admin_fields = admin_views["models"]["bank.sync.provider"]["fields"]
        self.assertTrue(set(ENDPOINT_FIELDS) <= set(admin_fields))
        with Form(provider.with_user(self.admin)) as form:
            form.environment = "live"
            form.api_base_url = "https://proxy.example.com/ponto"
        self.assertEqual(provider.sudo().environment, "live")
        self.assertEqual(
            provider.sudo().api_base_url, "https://proxy.example.com/ponto"
        )

    def test_system_admin_moves_the_endpoints(self):
        provider = self.provider.with_user(self.admin)
        provider.write({"ca_bundle": False})
        provider.write({"ca_bundle": self.sim_ca, "api_base_url": self.sim.api_url})
        self.assertEqual(
            provider.read(["api_base_url"])[0]["api_base_url"], self.sim.api_url
        )
        self.assertEqual(len(provider._build_client().list_accounts()), 4)

    def test_https_only_outside_the_simulator(self):
        provider = self.connect_provider.with_user(self.admin)
        for values in (
            {"environment": "sandbox", "api_base_url": "http://api.myponto.com"},
            {"environment": "live", "authorization_url": "http://auth.example/oauth"},
            {"environment": "live", "api_base_url": "ftp://api.myponto.com"},
            {"environment": "live", "api_base_url": "https://"},
            {
                "environment": "live",
                "api_base_url": "http://127.0.0.1.attacker.example",
            },
        ):
            with self.subTest(values=values):
                with self.assertRaises(ValidationError) as caught:
                    provider.write(values)
                self.assertIn("must start with https://", str(caught.exception))
                self.assertIn("Ponto Connect (simulator)", str(caught.exception))
        # a simulator on loopback may be plain http
        provider.write({"api_base_url": "http://127.0.0.1:1"})
        provider.write({"api_base_url": "http://[::1]:1"})
        # another environment brings the official (https) URLs back
        provider.write({"environment": "live"})
        self.assertEqual(provider.api_base_url, "https://api.ibanity.com/ponto-connect")
        with self.assertRaises(ValidationError):
            self.env["bank.sync.provider"].create(
                {"name": "Plain", "environment": "live", "api_base_url": "http://x.be"}
            )
