"""R4, rights (issue 7): every secret and every endpoint field is refused to an
accounting manager and to an accounting user through each way the ORM and the
web client read data, while a Settings administrator gets it; the
system-only models are closed to them altogether."""

import re

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import key_pair
from .ponto_common import PontoCommon

KEY, CERTIFICATE = key_pair("key-password")
SIGNATURE_KEY = key_pair()[0]

#: the fields only Settings administrators may read or write, per model
SYSTEM_FIELDS = {
    "bank.sync.provider": {
        "client_secret",
        "client_private_key",
        "client_key_password",
        "signature_key",
        # where the secrets go
        "environment",
        "api_base_url",
        "authorization_url",
        "ca_bundle",
        "client_certificate",
    },
    "bank.sync.link": {"access_token", "refresh_token", "token_expires_at"},
}
#: models nobody but a Settings administrator may open (when installed)
SYSTEM_MODELS = ("bank.sync.auth.session", "bank.sync.token")
#: a field name that looks like a secret must be system-only
SECRET_NAME = re.compile(r"secret|token|password|private_key|signature_key$|verifier")
EXPORT = "base.group_allow_export"  # export is refused outright without it


def system_only(field):
    return "base.group_system" in (field.groups or "").split(",")


@tagged("post_install", "-at_install")
class TestRightsCampaign(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        base = f"base.group_user,account.group_account_user,{EXPORT}"
        cls.accountant = new_test_user(cls.env, login="r4_accountant", groups=base)
        cls.manager = new_test_user(
            cls.env, login="r4_manager", groups=f"{base},account.group_account_manager"
        )
        cls.admin = new_test_user(
            cls.env, login="r4_admin", groups=f"{base},base.group_system"
        )
        cls.link = cls.make_link(provider=cls.connect_provider)
        cls.link.sudo()._bank_sync_store_tokens(cls.connect_tokens())
        # every field of the provider filled (keys not usable: only read here)
        cls.provider.write(
            {
                "authorization_url": "https://auth.example/oauth2/auth",
                "client_certificate": CERTIFICATE,
                "client_private_key": KEY,
                "client_key_password": "key-password",
                "signature_key": SIGNATURE_KEY,
            }
        )
        cls.records = {
            "bank.sync.provider": cls.provider,
            "bank.sync.link": cls.link,
        }

    def test_the_list_of_system_fields_is_complete(self):
        """Derived from the models: a new secret left open fails here."""
        for model, expected in SYSTEM_FIELDS.items():
            fields = self.env[model]._fields
            actual = {name for name, field in fields.items() if system_only(field)}
            with self.subTest(model=model):
                self.assertLessEqual(expected, actual)
        for model in self.env:
            if not model.startswith("bank.sync.") or model in SYSTEM_MODELS:
                continue
            for name, field in self.env[model]._fields.items():
                if SECRET_NAME.search(name):
                    with self.subTest(model=model, field=name):
                        self.assertTrue(system_only(field), "a secret open to all")

    def attempts(self, records, name):
        """``{way: callable}``: each way of reading ``name`` of ``records``
        (and, through a domain, of the model) that a user has."""
        model = records.browse()
        field = model._fields[name]
        ways = {
            "read": lambda: records.read([name]),
            "web_read": lambda: records.web_read({name: {}}),
            "web_search_read": lambda: model.web_search_read([], {name: {}}),
            "export_data": lambda: records.export_data([name]),
        }
        if field.store or field.search:
            ways["search"] = lambda: model.search([(name, "!=", False)])
            ways["search_count"] = lambda: model.search_count([(name, "!=", False)])
            ways["web_search_read (domain)"] = lambda: model.web_search_read(
                [(name, "!=", False)], {"display_name": {}}
            )
        if field.store:
            group = f"{name}:day" if field.type in ("date", "datetime") else name
            ways["search (order)"] = lambda: model.search([], order=name)
            ways["read_group"] = lambda: model.read_group([], ["__count"], [group])
            ways["_read_group"] = lambda: model._read_group([], [group], ["__count"])
            ways["web_read_group"] = lambda: model.web_read_group(
                [], ["__count"], [group]
            )
            ways["aggregate"] = lambda: model._read_group(
                [], [], [f"{name}:count_distinct"]
            )
        return ways

    def test_non_system_users_are_refused_every_way(self):
        for model, names in SYSTEM_FIELDS.items():
            for name in sorted(names):
                for user in (self.accountant, self.manager):
                    records = self.records[model].with_user(user)
                    for way, attempt in self.attempts(records, name).items():
                        with (
                            self.subTest(
                                model=model, field=name, user=user.login, way=way
                            ),
                            self.assertRaises(AccessError),
                        ):
                            attempt()
                    with self.subTest(model=model, field=name, user=user.login):
                        self.assertNotIn(name, records.fields_get())
                        with self.assertRaises(AccessError):
                            records.write({name: False})

    def test_system_admin_reads_them_every_way(self):
        """The same calls succeed for a Settings administrator: the refusals
        above are about the rights, not about calls that cannot work."""
        for model, names in SYSTEM_FIELDS.items():
            records = self.records[model].with_user(self.admin)
            for name in sorted(names):
                value = records.sudo()[name]
                self.assertTrue(value, f"{model}.{name} is filled for the test")
                for way, attempt in self.attempts(records, name).items():
                    with self.subTest(model=model, field=name, way=way):
                        result = attempt()
                        if way in ("read", "web_read"):
                            self.assertEqual(
                                records._fields[name].convert_to_record(
                                    result[0][name], records
                                ),
                                value,
                            )
                        elif way == "export_data":
                            self.assertTrue(result["datas"][0][0])
                self.assertIn(name, records.fields_get())

    @staticmethod
    def model_attempts(records):
        model = records.browse()
        return {
            "search": lambda: model.search([]),
            "read": lambda: records.read(["id"]),
            "web_search_read": lambda: model.web_search_read([], {"id": {}}),
            "read_group": lambda: model.read_group([], ["__count"], []),
            "write": lambda: records.write({}),
            "unlink": lambda: records.unlink(),
            "create": lambda: model.create({}),
        }.items()

    def test_system_models_are_closed(self):
        for model in SYSTEM_MODELS:
            if model not in self.env:
                continue
            if model == "bank.sync.auth.session":
                self.env[model].sudo().create(
                    {
                        "state": "r4-state",
                        "verifier": "r4-verifier" * 5,
                        "user_id": self.manager.id,
                        "link_id": self.link.id,
                        "expires_at": "2999-01-01 00:00:00",
                    }
                )
            records = self.env[model].sudo().search([])
            self.assertTrue(records, f"{model}: a record to hide")
            for user in (self.accountant, self.manager):
                # (the manager owns the session: it is read through sudo() only)
                for way, attempt in self.model_attempts(records.with_user(user)):
                    with (
                        self.subTest(model=model, user=user.login, way=way),
                        self.assertRaises(AccessError),
                    ):
                        attempt()
            self.assertEqual(
                self.env[model].with_user(self.admin).search_count([]), len(records)
            )
