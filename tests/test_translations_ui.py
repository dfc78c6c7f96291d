"""Dutch and French (issue 9): with nl_BE and fr_BE installed, no English
string of the addon is left on the connection form, both wizards, the
dashboard card and the reminder e-mail."""

import json
import re
from pathlib import Path

import polib
from lxml import etree

from odoo.tests import tagged

from .ponto_common import PontoCommon

I18N = Path(__file__).resolve().parent.parent / "i18n"
LANGS = {"nl_BE": "nl.po", "fr_BE": "fr.po"}
REMINDER = "account_bank_sync.mail_template_bank_sync_consent_reminder"
#: our own screens: (model, view xml id)
VIEWS = (
    ("bank.sync.link", "account_bank_sync.bank_sync_link_view_form"),
    (
        "bank.sync.connect.wizard",
        "account_bank_sync.bank_sync_connect_wizard_view_form",
    ),
    (
        "bank.sync.account.wizard",
        "account_bank_sync.bank_sync_account_wizard_view_form",
    ),
    (
        "account.journal",
        "account_bank_sync.account_journal_dashboard_kanban_view_bank_sync",
    ),
)


def english_terms(po_file):
    """The English texts a translation changes (the same word in both
    languages, "IBAN" or "Transactions", proves nothing)."""
    terms = set()
    for entry in polib.pofile(str(I18N / po_file)):
        text = entry.msgid
        if entry.msgstr and entry.msgstr != text and re.search(r"[a-z]{3}", text):
            terms.add(re.sub(r"\s+", " ", text).strip())
    return terms


def visible_texts(arch):
    """The texts of an arch a user reads: text nodes and the attributes
    shown (labels, help, placeholders, confirmations)."""
    root = etree.fromstring(arch)
    texts = [t.strip() for t in root.itertext() if t.strip()]
    for node in root.iter():
        for name in ("string", "help", "placeholder", "confirm", "title"):
            if node.get(name):
                texts.append(node.get(name).strip())
    return [re.sub(r"\s+", " ", text) for text in texts]


@tagged("post_install", "-at_install")
class TestTranslatedScreens(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGS:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(
            ["account_bank_sync"], list(LANGS), overwrite=True
        )

    def setUp(self):
        super().setUp()
        self.grant_full_accounting(self.env.user)
        self.link = self.make_link()
        self.account, self.journal = self.map_account(
            self.link, self.sim.ACCOUNT_SAVINGS_ID
        )
        self.link._sync()

    def assert_translated(self, lang, where, texts):
        english = english_terms(LANGS[lang])
        left = sorted({text for text in texts if text in english})
        self.assertFalse(left, f"{lang}: English left on {where}: {left}")

    def test_screens(self):
        # the check sees the addon's strings: in English they are all there
        english = english_terms("nl.po")
        arch = self.env["bank.sync.link"].get_view(
            self.env.ref("account_bank_sync.bank_sync_link_view_form").id
        )["arch"]
        self.assertGreaterEqual(len(english.intersection(visible_texts(arch))), 10)
        for lang in LANGS:
            env = self.env(context={"lang": lang})
            for model, xmlid in VIEWS:
                with self.subTest(lang=lang, view=xmlid):
                    view = self.env.ref(xmlid)
                    if view.inherit_id:  # our part of another module's view
                        arch = view.with_env(env).arch
                    else:
                        arch = env[model].get_view(view.id)["arch"]
                    self.assert_translated(lang, xmlid, visible_texts(arch))
                    # the labels of our own fields (of our models, or added)
                    ours = [
                        name
                        for name in env[model]._fields
                        if model.startswith("bank.sync.")
                        or name.startswith("bank_sync")
                    ]
                    labels = [
                        description["string"]
                        for description in env[model]
                        .fields_get(ours, attributes=["string"])
                        .values()
                    ]
                    self.assert_translated(lang, f"{model} fields", labels)

    def test_dashboard_card_and_notification(self):
        for lang in LANGS:
            with self.subTest(lang=lang):
                journal = self.journal.with_context(lang=lang)
                self.env.flush_all()
                journal.invalidate_recordset()
                card = json.loads(journal.kanban_dashboard)["bank_sync"]
                self.assert_translated(
                    lang, "the card", [v for v in card.values() if isinstance(v, str)]
                )
                self.assertNotIn("just now", card["last_sync"])
                action = journal.action_bank_sync_fetch_transactions()
                lines = action["params"]["message"].split("\n")
                self.assertFalse(
                    [line for line in lines if "new transaction" in line], lines
                )

    def test_reminder_email(self):
        template = self.env.ref(REMINDER)
        english = template.with_context(lang="en_US")._render_field(
            "body_html", self.link.ids
        )[self.link.id]
        for lang in LANGS:
            with self.subTest(lang=lang):
                body = template.with_context(lang=lang)._render_field(
                    "body_html", self.link.ids
                )[self.link.id]
                self.assertNotEqual(str(body), str(english))
                texts = visible_texts(f"<div>{body}</div>")
                self.assert_translated(lang, "the reminder e-mail", texts)
                subject = template.with_context(lang=lang)._render_field(
                    "subject", self.link.ids
                )[self.link.id]
                self.assert_translated(lang, "the reminder subject", [subject])
