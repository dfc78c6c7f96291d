from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import key_pair
from .ponto_common import PontoCommon

KEY, CERTIFICATE = key_pair("key-password")
SIGNATURE_KEY = key_pair()[0]

PROVIDER_SECRETS = (
    "client_secret",
    "client_private_key",
    "client_key_password",
    "signature_key",
)
LINK_SECRETS = ("access_token", "refresh_token", "token_expires_at")


@tagged("post_install", "-at_install")
class TestSecrets(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="bs_accountant",
            groups="base.group_user,account.group_account_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="bs_manager",
            groups="base.group_user,account.group_account_user,"
            "account.group_account_manager",
        )
        cls.admin = new_test_user(
            cls.env,
            login="bs_admin",
            groups="base.group_user,base.group_system,account.group_account_user",
        )
        # not usable keys: only their visibility is tested here
        cls.provider_keys = cls.provider.copy(
            {
                "name": "Ponto with keys",
                "client_secret": "keys-secret",
                "client_private_key": KEY,
                "client_key_password": "key-password",
                "client_certificate": CERTIFICATE,
                "signature_key": SIGNATURE_KEY,
            }
        )
        cls.link = cls.make_link()
        cls.store_tokens(cls.link)

    def test_accounting_users_cannot_read_secrets(self):
        for user in (self.accountant, self.manager):
            provider = self.provider_keys.with_user(user)
            link = self.link.with_user(user)
            self.assertEqual(provider.read(["name"])[0]["name"], "Ponto with keys")
            self.assertTrue(link.read(["state"]))
            for name in PROVIDER_SECRETS:
                with self.subTest(user=user.login, field=name):
                    with self.assertRaises(AccessError):
                        provider.read([name])
                    with self.assertRaises(AccessError):
                        provider.search([(name, "!=", False)])
                    self.assertNotIn(name, provider.fields_get())
            for name in LINK_SECRETS:
                with self.subTest(user=user.login, field=name):
                    with self.assertRaises(AccessError):
                        link.read([name])
                    self.assertNotIn(name, link.fields_get())

    def test_system_users_read_secrets(self):
        provider = self.provider_keys.with_user(self.admin)
        values = provider.read(list(PROVIDER_SECRETS))[0]
        self.assertEqual(values["client_secret"], "keys-secret")
        self.assertEqual(values["client_key_password"], "key-password")
        self.assertTrue(values["signature_key"].startswith("-----BEGIN"))
        tokens = self.link.with_user(self.admin).read(list(LINK_SECRETS))[0]
        self.assertTrue(tokens["access_token"])
        self.assertTrue(tokens["token_expires_at"])

    def test_accounting_user_uses_the_client_without_seeing_secrets(self):
        """The client reads the secrets with sudo() on the user's behalf."""
        link = self.link.with_user(self.accountant)
        accounts = self.client(link).list_accounts()
        self.assertEqual(len(accounts), len(self.sim.ACCOUNT_IDS))
        institutions = self.env["bank.sync.institution"].with_user(self.accountant)
        self.assertEqual(len(institutions._refresh_from_provider(self.provider)), 9)

    def test_views_hide_secrets_from_accounting_users(self):
        for model, secrets in (
            ("bank.sync.provider", PROVIDER_SECRETS),
            ("bank.sync.link", LINK_SECRETS),
        ):
            for user, visible in ((self.manager, False), (self.admin, True)):
                views = (
                    self.env[model]
                    .with_user(user)
                    .get_views([(False, "form"), (False, "list"), (False, "search")])
                )
                arch = views["views"]["form"]["arch"]
                for name in secrets:
                    with self.subTest(model=model, user=user.login, field=name):
                        self.assertEqual(f'name="{name}"' in arch, visible)
        # a journal form for a billing-only user does not need this addon's models
        billing = new_test_user(
            self.env,
            login="bs_billing",
            groups="base.group_user,account.group_account_invoice",
        )
        arch = (
            self.env["account.journal"]
            .with_user(billing)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertNotIn("bank_sync_account_id", arch)
        accountant_arch = (
            self.env["account.journal"]
            .with_user(self.accountant)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("bank_sync_link_id", accountant_arch)

    def test_unreadable_key_is_a_clear_error(self):
        """Said on save, in words, without the secrets (issue 9)."""
        provider = self.provider_keys.with_user(self.admin)
        for values, words in (
            ({"client_private_key": "-----BEGIN PRIVATE KEY-----\nxx\n"}, "PEM"),
            ({"client_private_key": CERTIFICATE}, "holds a certificate"),
            ({"ca_bundle": KEY}, "holds a private key"),
            ({"client_key_password": "not it"}, "does not open"),
            ({"client_private_key": key_pair("key-password")[0]}, "not the key"),
        ):
            with self.subTest(values=list(values)):
                with self.assertRaises(ValidationError) as caught:
                    provider.write(values)
                message = str(caught.exception)
                self.assertIn("Ponto with keys", message)
                self.assertIn(words, message)
                for secret in ("keys-secret", "key-password", "not it"):
                    self.assertNotIn(secret, message)

    def test_accounting_user_rights(self):
        Provider = self.env["bank.sync.provider"].with_user(self.accountant)
        with self.assertRaises(AccessError):
            Provider.create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.provider.with_user(self.accountant).write({"client_id": "x"})
        link = (
            self.env["bank.sync.link"]
            .with_user(self.accountant)
            .create({"provider_id": self.provider.id})
        )
        link.auto_sync = False
        account = (
            self.env["bank.sync.account"]
            .with_user(self.accountant)
            .create({"link_id": link.id, "provider_ref": "acc-1", "name": "Main"})
        )
        account.first_import_date = "2026-01-01"
        with self.assertRaises(AccessError):
            account.unlink()
        # managers configure providers
        Provider.with_user(self.manager).create({"name": "Theirs"})

    def test_nothing_secret_in_names_or_tracking(self):
        secrets = {
            self.sim.CUSTOM_CLIENT_SECRET,
            self.link.sudo().access_token,
            "key-password",
        }
        # as if the link had been created in an earlier transaction
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.link.write({"state": "error", "last_error_message": "Broken"})
        self.client(self.link).auth.login()  # new tokens through on_tokens
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking messages are written at commit
        names = [
            self.provider.display_name,
            self.link.display_name,
            *self.link.online_account_ids.mapped("display_name"),
        ]
        for secret in secrets:
            self.assertFalse(any(secret in name for name in names))
        tracked = self.link.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("state", tracked)
        self.assertFalse(set(tracked) & set(LINK_SECRETS))
        bodies = " ".join(str(body) for body in self.link.message_ids.mapped("body"))
        for secret in secrets:
            self.assertNotIn(secret, bodies)


@tagged("post_install", "-at_install")
class TestMultiCompany(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_b = new_test_user(
            cls.env,
            login="bs_user_b",
            groups="base.group_user,account.group_account_user,"
            "account.group_account_manager",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.link, cls.account, _journal = cls.linked_account(
            cls.sim.ACCOUNT_CHECKING_ID
        )
        cls.provider_b = cls.create_provider("api", cls.company_b, name="Ponto B")

    def test_other_company_records_are_invisible(self):
        env_b = self.env(user=self.user_b)
        self.assertEqual(env_b.company, self.company_b)
        self.assertEqual(env_b["bank.sync.provider"].search([]), self.provider_b)
        self.assertFalse(env_b["bank.sync.link"].search([]))
        self.assertFalse(env_b["bank.sync.account"].search([]))
        self.assertFalse(
            env_b["bank.sync.institution"].search(
                [("provider_id", "=", self.provider.id)]
            )
        )
        for record in (
            self.provider,
            self.link,
            self.account,
            self.link.institution_id,
        ):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(self.user_b).read(["name"])

    def test_own_company_records_are_visible(self):
        Institution = self.env["bank.sync.institution"].with_user(self.user_b)
        institutions = Institution._refresh_from_provider(self.provider_b)
        self.assertEqual(len(institutions), 9)
        self.assertEqual(institutions.company_id, self.company_b)
        link_b = (
            self.env["bank.sync.link"]
            .with_user(self.user_b)
            .create(
                {
                    "provider_id": self.provider_b.id,
                    "institution_id": institutions[0].id,
                }
            )
        )
        self.assertEqual(link_b.company_id, self.company_b)
        self.assertEqual(
            self.env["bank.sync.link"].with_user(self.user_b).search([]), link_b
        )

    def test_cross_company_link_is_refused(self):
        with self.assertRaises(UserError):
            self.env["bank.sync.link"].create(
                {"provider_id": self.provider_b.id, "company_id": self.company.id}
            )


@tagged("post_install", "-at_install")
class TestNoDeletionOfImportedAccounts(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_CHECKING_ID
        )

    def _import_line(self):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.journal.id,
                "date": "2026-01-15",
                "payment_ref": "Imported",
                "amount": 10.0,
                "bank_sync_ref": "tx-1",
                "bank_sync_account_id": self.account.id,
            }
        )

    def test_account_without_lines_can_be_deleted(self):
        self.account.unlink()
        self.assertFalse(self.account.exists())

    def test_account_with_lines_is_archived_not_deleted(self):
        line = self._import_line()
        self.assertEqual(self.account.statement_line_count, 1)
        with self.assertRaises(UserError):
            self.account.unlink()
        with self.assertRaises(UserError):
            self.link.unlink()
        self.account.write({"active": False, "missing_at_provider": True})
        self.assertTrue(self.account.exists())
        self.assertEqual(line.bank_sync_account_id, self.account)
