# Run by demo/demo.sh through `odoo shell` (``env`` is given): configure a
# Ponto provider on the local simulator, connect the demo bank through the
# connect wizard, map its accounts to new bank journals through the account
# wizard, import the transactions twice (the second run must add none) and
# print a summary.
# ruff: noqa: F821
# pylint: skip-file
import os

SIM_URL = os.environ["DEMO_SIM_URL"]
with open(os.environ["DEMO_SIM_CA"]) as handle:
    SIM_CA = handle.read()

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

connect = env["bank.sync.connect.wizard"].create(
    {"provider_id": provider.id, "institution_id": institution.id}
)
action = connect.action_connect()
wizard = env[action["res_model"]].browse(action["res_id"])
for line in wizard.line_ids:
    line.action = "create"
wizard.action_confirm()
link = wizard.link_id

first = link._sync()
second = link._sync()
env.cr.commit()

print()
print(f"Connection: {link.display_name} — state {link.state}")
print(f"Connected until: {link.connected_until or 'unknown'}")
print(f"Responsible: {link.user_id.name}")
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
        f"{account.currency_id.name}  Odoo {journal.current_statement_balance:>12,.2f}"
        f"  (new this run: {first.get(journal, 0)})"
    )
    currency = journal.currency_id or company.currency_id
    if currency.compare_amounts(journal.current_statement_balance, account.balance):
        raise SystemExit(f"{journal.name}: Odoo's balance is not the bank's")
added_again = sum(second.values())
print(f"Second import run added {added_again} line(s).")
if added_again:
    raise SystemExit("the second import created lines: duplicates!")
