"""The campaigns' set-up, run inside Odoo in a process of its own (committed
transactions, as a user would leave them):

    python3 odoo_side.py CONF DB setup < {"sim": seed info, "ca": PEM, ...}
    python3 odoo_side.py CONF DB map < {"links": [...], "accounts": {...}}

Each command reads a JSON object on stdin and prints ``RESULT <json>`` last.
Only the addon's stable entry points are used: the models and their fields,
the connect wizard (Ponto API connects at once; Ponto Connect gives the URL of
the authorization page, which the driver completes over HTTP and returns
through Odoo's HTTP server, as a browser would).
"""

import json
import sys

import odoo
from odoo import SUPERUSER_ID, api

FIRST_IMPORT_DATE = "2000-01-01"  # before any simulated history: import it all


def _env(cr):
    admin = api.Environment(cr, SUPERUSER_ID, {}).ref("base.user_admin")
    return api.Environment(cr, admin.id, {})


def _institution(env, provider, ref):
    institutions = env["bank.sync.institution"]
    domain = [("provider_id", "=", provider.id), ("provider_ref", "=", ref)]
    if not institutions.search(domain):
        institutions._refresh_from_provider(provider)
    return institutions.search(domain)


def setup(env, data):
    sim, ca = data["sim"], data["ca"]
    params = env["ir.config_parameter"].sudo()
    params.set_param("web.base.url", data["server_url"])
    params.set_param("web.base.url.freeze", "True")
    # the simulator finishes a synchronization within a few polls
    params.set_param("account_bank_sync.sync_poll_interval", "0.2")
    for key, value in (data.get("params") or {}).items():
        params.set_param(key, value)
    company = env.company
    company.country_id = env.ref("base.be")
    common = {
        "code": "ponto",
        "ca_bundle": ca,
        "company_id": company.id,
    }
    providers = env["bank.sync.provider"]
    wanted = data.get("profiles") or ["ponto_connect", "ponto_api"]
    created = {}
    if "ponto_api" in wanted:
        created["ponto_api"] = providers.create(
            {
                **common,
                "name": "Ponto API (chaos)",
                "ponto_profile": "ponto_api",
                "api_base_url": sim["api_url"],
                "client_id": sim["custom_client"][0],
                "client_secret": sim["custom_client"][1],
            }
        )
    if "ponto_connect" in wanted:
        created["ponto_connect"] = providers.create(
            {
                **common,
                "name": "Ponto Connect (chaos)",
                "ponto_profile": "ponto_connect",
                "api_base_url": sim["connect_url"],
                "authorization_url": sim["authorization_url"],
                "client_id": sim["connect_client"][0],
                "client_secret": sim["connect_client"][1],
                "application_id": sim["application_id"],
            }
        )
    banks = {fi["key"]: fi["id"] for fi in sim["institutions"]}
    links, auth_urls = [], {}
    for profile, provider in created.items():
        for bank in data.get("banks") or ["kbc", "bnp"]:
            wizard = env["bank.sync.connect.wizard"].create(
                {
                    "provider_id": provider.id,
                    "institution_id": _institution(env, provider, banks[bank]).id,
                }
            )
            action = wizard.action_connect()
            link = env["bank.sync.link"].search(
                [
                    ("provider_id", "=", provider.id),
                    ("institution_id.provider_ref", "=", banks[bank]),
                ]
            )
            links.append({"id": link.id, "profile": profile, "bank": bank})
            if action.get("type") == "ir.actions.act_url":
                auth_urls[link.id] = action["url"]
    return {"links": links, "auth_urls": auth_urls}


def map_accounts(env, data):
    """Map each link's accounts (``data["accounts"]``: bank key -> list of
    simulator account dicts) to a new bank journal each."""
    out = []
    journals = env["account.journal"]
    for spec in data["links"]:
        link = env["bank.sync.link"].browse(spec["id"])
        for acc in data["accounts"][spec["bank"]]:
            currency = (
                env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", acc["currency"])], limit=1)
            )
            currency.active = True
            code = f"C{link.id}{acc['key'][:1].upper()}{len(out)}"[-5:]
            journal = journals.create(
                {
                    "name": f"{spec['profile']} {acc['key']} ({link.id})",
                    "code": code,
                    "type": "bank",
                    "currency_id": (
                        currency.id if currency != env.company.currency_id else False
                    ),
                    "bank_statements_source": "online_sync",
                }
            )
            account = env["bank.sync.account"].create(
                {
                    "link_id": link.id,
                    "provider_ref": acc["id"],
                    "name": acc["key"],
                    "iban": acc["iban"],
                    "currency_id": currency.id,
                    "journal_id": journal.id,
                    "first_import_date": data.get("first_import_date")
                    or FIRST_IMPORT_DATE,
                }
            )
            out.append(
                {
                    "link_id": link.id,
                    "profile": spec["profile"],
                    "account_id": account.id,
                    "account_ref": acc["id"],
                    "account_key": acc["key"],
                    "journal_id": journal.id,
                }
            )
        link.write({"auto_sync": True, "next_sync": False})
        if link.state == "authorized":  # as the account wizard's confirmation
            link._set_authorized_state()
    return {"accounts": out}


COMMANDS = {"setup": setup, "map": map_accounts}


def main(argv):
    conf, db, command = argv
    data = json.load(sys.stdin)
    odoo.tools.config.parse_config(["-c", conf, "-d", db])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        result = COMMANDS[command](_env(cr), data)
        cr.commit()  # pylint: disable=invalid-commit
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
