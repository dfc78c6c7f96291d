"""R4, companies (issue 7): a user of company B sees nothing of company A's
bank synchronization (connections, online accounts, institutions,
authorization sessions, the statement lines the module imported), also a
Settings administrator of company B and a user of both companies working in
B."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .ponto_common import PontoCommon

GROUPS = "base.group_user,account.group_account_user,account.group_account_manager"


@tagged("post_install", "-at_install")
class TestCompanyIsolation(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        # company A (the test's company): a connection that imported lines
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID
        )
        cls.link.action_fetch_transactions()
        cls.lines_a = cls.lines()
        if not cls.lines_a:
            raise AssertionError("the module imported no line of company A")
        cls.session = (
            cls.env["bank.sync.auth.session"]
            .sudo()
            .create(
                {
                    "state": "company-a-state",
                    "verifier": "v" * 43,
                    "user_id": cls.env.ref("base.user_admin").id,
                    "link_id": cls.link.id,
                    "expires_at": "2999-01-01 00:00:00",
                }
            )
        )
        # company B, with its own provider and connection
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.provider_b = cls.create_provider(
            "api", cls.company_b, name="Ponto of company B"
        )
        cls.link_b = cls.make_link(provider=cls.provider_b)
        cls.user_b = new_test_user(
            cls.env,
            login="r4_user_b",
            groups=GROUPS,
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.admin_b = new_test_user(
            cls.env,
            login="r4_admin_b",
            groups=f"{GROUPS},base.group_system",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.user_ab = new_test_user(
            cls.env,
            login="r4_user_ab",
            groups=GROUPS,
            company_id=cls.company_b.id,
            company_ids=[cls.company.id, cls.company_b.id],
        )

    def company_a_records(self):
        return {
            "bank.sync.provider": self.provider,
            "bank.sync.institution": self.link.institution_id,
            "bank.sync.link": self.link,
            "bank.sync.account": self.account,
            "account.bank.statement.line": self.lines_a,
            "account.journal": self.journal,
        }

    def envs_of_company_b(self):
        return {
            "user of B": self.env(user=self.user_b),
            "admin of B": self.env(user=self.admin_b),
            "user of A and B, in B": self.env(
                user=self.user_ab, context={"allowed_company_ids": [self.company_b.id]}
            ),
        }

    def test_company_a_is_invisible_from_company_b(self):
        for who, env in self.envs_of_company_b().items():
            self.assertEqual(env.company, self.company_b)
            records = self.company_a_records()
            if who == "admin of B":
                records["bank.sync.auth.session"] = self.session
            for model, record in records.items():
                with self.subTest(who=who, model=model):
                    Model = env[model]
                    self.assertFalse(Model.search([("id", "in", record.ids)]))
                    found = Model.web_search_read([], {"id": {}})["records"]
                    self.assertFalse({r["id"] for r in found} & set(record.ids))
                    with self.assertRaises(AccessError):
                        record.with_env(env).read(["display_name"])
            # what company B does see: its own (the searches above can find)
            self.assertEqual(env["bank.sync.link"].search([]), self.link_b)
            self.assertEqual(env["bank.sync.provider"].search([]), self.provider_b)
            self.assertFalse(
                env["account.bank.statement.line"].search(
                    [("bank_sync_account_id", "!=", False)]
                )
            )
            self.assertFalse(
                env["bank.sync.account"].search([("link_id", "=", self.link.id)])
            )

    def test_company_b_cannot_use_company_a_records(self):
        env = self.env(user=self.user_b)
        with self.assertRaises(UserError):  # an AccessError is one too
            env["bank.sync.link"].create(
                {
                    "provider_id": self.provider.id,
                    "institution_id": self.link.institution_id.id,
                }
            )
        with self.assertRaises(AccessError):
            self.link.with_env(env).action_fetch_transactions()
        with self.assertRaises(AccessError):
            self.account.with_env(env).write({"name": "Mine"})

    def test_company_a_sees_its_own(self):
        """The same searches from company A find A's records (the rules are
        per company, not a blanket refusal)."""
        admin = self.env.ref("base.user_admin")
        admin.groups_id = [(4, self.env.ref("account.group_account_user").id)]
        env = self.env(user=admin, context={"allowed_company_ids": [self.company.id]})
        for model, record in self.company_a_records().items():
            with self.subTest(model=model):
                self.assertEqual(
                    env[model].search([("id", "in", record.ids)]), record.with_env(env)
                )
        self.assertEqual(
            env["bank.sync.auth.session"].search([("id", "=", self.session.id)]),
            self.session.with_env(env),
        )
