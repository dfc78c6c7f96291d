# Run by demo/demo.sh through `odoo shell` (``env`` is given): configure a
# Ponto provider and a Salt Edge provider on the local simulators, connect a
# demo bank through each (Ponto: the connect wizard; Salt Edge: the connect
# wizard, the widget's pages as a user walks them, the return), map their
# accounts to new bank journals through the account wizard, import the
# transactions twice (the second run must add none) and print a summary.
# ruff: noqa: F821
# pylint: skip-file
import os
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

from odoo.addons.account_bank_sync.simulators.saltedge.browser import run_widget

SIM_URL = os.environ["DEMO_SIM_URL"]
with open(os.environ["DEMO_SIM_CA"]) as handle:
    SIM_CA = handle.read()
SE_URL = os.environ["DEMO_SE_URL"]
SE_CA_FILE = os.environ["DEMO_SE_CA"]
with open(SE_CA_FILE) as handle:
    SE_CA = handle.read()
with open(os.environ["DEMO_SE_APP_KEY"]) as handle:
    SE_APP_KEY = handle.read()
with open(os.environ["DEMO_SE_CALLBACK_KEY"]) as handle:
    SE_CALLBACK_KEY = handle.read()

# The demo's user is the administrator: the Responsible of the connection
# (the reminders reach them), with the accounting rights the dashboard needs,
# landing on the dashboard's cards.
admin = env.ref("base.user_admin")
admin.write(
    {
        "groups_id": [
            (4, env.ref("account.group_account_manager").id),
            (4, env.ref("account.group_account_user").id),
        ],
        "action_id": env.ref("account.open_account_journal_dashboard_kanban").id,
    }
)
env = env(user=admin)
company = env.company
euro = env.ref("base.EUR")
euro.active = True
if company.currency_id != euro and not env["account.move.line"].search_count([]):
    company.currency_id = euro
company.country_id = env.ref("base.be")

# the simulator finishes a synchronization within a few polls
env["ir.config_parameter"].sudo().set_param(
    "account_bank_sync.sync_poll_interval", "0.2"
)
provider = env["bank.sync.provider"].create(
    {
        "name": "Ponto (local simulator)",
        "code": "ponto",
        "ponto_profile": "ponto_api",
        "api_base_url": SIM_URL,
        "ca_bundle": SIM_CA,
        "client_id": "sim-custom-client",
        "client_secret": "sim-custom-secret",
        "company_id": company.id,
    }
)
env["bank.sync.institution"]._refresh_from_provider(provider)
institution = env["bank.sync.institution"].search(
    [("provider_id", "=", provider.id), ("bic", "=", "KREDBEBB")], limit=1
)


def map_all(action):
    """The account wizard of ``action``: every account to a new journal."""
    wizard = env[action["res_model"]].browse(action["res_id"])
    for line in wizard.line_ids:
        line.action = "create"
    wizard.action_confirm()
    return wizard.link_id


connect = env["bank.sync.connect.wizard"].create(
    {"provider_id": provider.id, "institution_id": institution.id}
)
ponto_link = map_all(connect.action_connect())

# Salt Edge: its widget, walked as a user would, then Odoo's return
saltedge = env["bank.sync.provider"].create(
    {
        "name": "Salt Edge (local simulator)",
        "code": "saltedge",
        "saltedge_account_level": "test",
        "api_base_url": SE_URL + "/api/v6",
        "ca_bundle": SE_CA,
        "client_id": "sim-saltedge-app-id",
        "client_secret": "sim-saltedge-secret",
        "saltedge_private_key": SE_APP_KEY,
        "saltedge_callback_keys": SE_CALLBACK_KEY,
        "company_id": company.id,
    }
)
env["bank.sync.institution"]._refresh_from_provider(saltedge, country="BE")
se_bank = env["bank.sync.institution"].search(
    [("provider_id", "=", saltedge.id), ("provider_ref", "=", "belfius_business_be")],
    limit=1,
)
connect = env["bank.sync.connect.wizard"].create(
    {"provider_id": saltedge.id, "institution_id": se_bank.id}
)
widget_url = connect.action_connect()["url"]
back = run_widget(SimpleNamespace(root_url=SE_URL, ca_file=SE_CA_FILE), widget_url)
params = dict(parse_qsl(urlsplit(back).query))
session = env["bank.sync.auth.session"]._consume(params["state"])
session._complete(params)  # what /bank_sync/oauth/return does
wizard_id = int(session._landing_url().rstrip("/").rsplit("/", 1)[-1])
saltedge_link = map_all({"res_model": "bank.sync.account.wizard", "res_id": wizard_id})

runs = {link: (link._sync(), link._sync()) for link in (ponto_link, saltedge_link)}
env.cr.commit()

for link, (first, second) in runs.items():
    print()
    print(f"Connection: {link.display_name} — state {link.state}")
    print(f"Connected until: {link.connected_until or 'unknown'}")
    print(f"Responsible: {link.user_id.name}")
    if link.state != "connected":
        raise SystemExit(f"{link.display_name} is not connected")
    if link.user_id != admin:
        raise SystemExit("the connection's Responsible is not the administrator")
    for account in link.online_account_ids:
        journal = account.journal_id
        if not journal:
            continue
        lines = env["account.bank.statement.line"].search_count(
            [("journal_id", "=", journal.id)]
        )
        print(
            f"  {journal.code:6} {journal.name:32} {account.iban:22} "
            f"{lines:4} lines  bank balance {account.balance:>12,.2f} "
            f"{account.currency_id.name}  Odoo "
            f"{journal.current_statement_balance:>12,.2f}"
            f"  (new this run: {first.get(journal, 0)})"
        )
        if not lines:
            raise SystemExit(f"{journal.name}: no line imported")
        currency = journal.currency_id or company.currency_id
        if currency.compare_amounts(journal.current_statement_balance, account.balance):
            raise SystemExit(f"{journal.name}: Odoo's balance is not the bank's")
    added_again = sum(second.values())
    print(f"Second import run added {added_again} line(s).")
    if added_again:
        raise SystemExit("the second import created lines: duplicates!")
