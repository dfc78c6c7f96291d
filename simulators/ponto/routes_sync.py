"""Synchronizations, reauthorization requests (API + page), the Connect partner
endpoints (client token) and the OAuth routes."""

import datetime as _dt
from urllib.parse import parse_qsl

from . import bank, oauth, pages
from . import jsonapi as ja
from .oauth import bearer
from .responses import html_response, json_response, redirect
from .routes_data import user_account
from .util import iso, sim_uuid


def _data_attributes(req, expected_type):
    body = req.json()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("attributes"), dict):
        raise ja.validation(
            "data",
            f'The body must be {{"data": {{"type": "{expected_type}", '
            '"attributes": {...}}}',
        )
    return data["attributes"]


def create_synchronization(sim, req):
    _tok, integ = bearer(sim, req)
    attrs = _data_attributes(req, "synchronization")
    if attrs.get("resourceType") != "account":
        raise ja.validation("resourceType", "resourceType must be account")
    account = sim.store.accounts.get(attrs.get("resourceId") or "")
    if account is None or account.id not in integ.account_ids:
        raise ja.not_found("account")
    sync = bank.create_sync(
        sim, integ, account, attrs.get("subtype"), attrs.get("customerIpAddress")
    )
    return json_response(201, {"data": ja.sync_resource(req.base, sync)})


def _user_sync(sim, req):
    _tok, integ = bearer(sim, req)
    sync = sim.store.syncs.get(req.params["id"])
    if sync is None or sync.account_id not in integ.account_ids:
        raise ja.not_found("synchronization")
    return sync


def get_synchronization(sim, req):
    sync = _user_sync(sim, req)
    bank.poll(sim, sync)
    return json_response(200, {"data": ja.sync_resource(req.base, sync)})


def updated_transactions(sim, req, pending=False):
    sync = _user_sync(sim, req)
    account = sim.store.accounts[sync.account_id]
    ids = sync.updated_pending_ids if pending else sync.updated_tx_ids
    pool = account.pending if pending else account.transactions
    items = [t for t in reversed(pool) if t.id in ids]
    kind = "updated-pending-transactions" if pending else "updated-transactions"
    url = f"{req.base.api}/synchronizations/{sync.id}/{kind}"
    return json_response(
        200,
        ja.page(
            sim,
            req,
            items,
            url,
            lambda t: ja.txn_resource(req.base, account, t, pending),
        ),
    )


# --- reauthorization ---------------------------------------------------------


def create_reauthorization(sim, req):
    integ, account = user_account(sim, req, req.params["id"])
    attrs = _data_attributes(req, "reauthorizationRequest")
    uri = attrs.get("redirectUri")
    if not uri or not oauth._redirect_allowed(sim, uri):
        raise ja.validation("redirectUri", "redirectUri is missing or not allowed")
    rid = sim_uuid("reauthorization-request", sim.seed, sim.store.next())
    sim.store.reauth_requests[rid] = {
        "account_id": account.id,
        "integration_id": integ.id,
        "redirect_uri": uri,
        "done": False,
    }
    link = (
        f"{sim.root_url}/organizations/{sim.ORGANIZATION_ID}/sandbox/integrations/"
        f"{integ.id}/accounts/{account.id}/reauthorization-requests/{rid}"
    )
    return json_response(
        201,
        {
            "data": {
                "type": "reauthorizationRequest",
                "id": rid,
                "attributes": {"sandbox": True},
                "links": {"redirect": link},
            }
        },
    )


def _reauth(sim, req):
    rec = sim.store.reauth_requests.get(req.params["rid"])
    if rec is None or rec["account_id"] != req.params["acc"] or rec["done"]:
        return None
    return rec


def reauth_page_get(sim, req):
    rec = _reauth(sim, req)
    if rec is None:
        return html_response(
            404, pages.error_page("Reauthorization", "Unknown or used request.")
        )
    if sim.auto_approve_pages:
        # test convenience (knob): as if the user clicked Approve
        return redirect(complete_reauthorization(sim, req.params["rid"]))
    account = sim.store.accounts[rec["account_id"]]
    return html_response(
        200,
        pages.reauthorization_page(
            req.path, account, sim.store.institutions[account.fi_id]
        ),
    )


def complete_reauthorization(sim, request_id, decision="approve"):
    rec = sim.store.reauth_requests.get(request_id)
    if rec is None or rec["done"]:
        return None
    rec["done"] = True
    if decision != "approve":
        return oauth._with_query(rec["redirect_uri"], error="access_denied")  # [U]
    sim.renew_consent(rec["account_id"])
    sim.emit_webhook(
        "pontoConnect.account.reauthorized", None, account_id=rec["account_id"]
    )
    return rec["redirect_uri"]


def reauth_page_post(sim, req):
    if _reauth(sim, req) is None:
        return html_response(
            404, pages.error_page("Reauthorization", "Unknown or used request.")
        )
    form = dict(parse_qsl(req.body.decode("utf-8", "replace")))
    return redirect(
        complete_reauthorization(
            sim, req.params["rid"], form.get("decision", "approve")
        )
    )


# --- Connect partner endpoints (client token) --------------------------------


def integration_accounts(sim, req):
    bearer(sim, req, client=True)
    rows = [
        (integ, acc_id)
        for integ in sim.store.integrations.values()
        if integ.kind == "connect" and not integ.revoked
        for acc_id in integ.account_ids
    ]

    class Row:
        def __init__(self, integ, acc_id):
            self.integ, self.account = integ, sim.store.accounts[acc_id]
            self.id = sim_uuid("integration-account", integ.id, acc_id)

    def ser(row):
        def rel(t, i):
            return {"data": {"type": t, "id": i}}

        return {
            "type": "integrationAccount",
            "id": row.id,
            "attributes": {
                "createdAt": iso(row.integ.created_at, "us"),
                "lastAccessedAt": iso(row.integ.last_accessed_at, "us"),
            },
            "relationships": {
                "account": rel("account", row.account.id),
                "financialInstitution": rel("financialInstitution", row.account.fi_id),
                "organization": rel("organization", sim.ORGANIZATION_ID),
            },
        }

    return json_response(
        200,
        ja.page(
            sim,
            req,
            [Row(*r) for r in rows],
            req.base.api + "/integration-accounts",
            ser,
        ),
    )


def delete_integration(sim, req):
    bearer(sim, req, client=True)
    if req.params["org"] != sim.ORGANIZATION_ID:
        raise ja.not_found("organization")
    integ = sim.active_connect_integration()
    if integ is None:
        raise ja.not_found("integration")
    sim.revoke_integration(integ.id)
    return json_response(
        200,
        {
            "data": {
                "type": "integration",
                "id": integ.id,
                "relationships": {
                    "organization": {
                        "data": {"type": "organization", "id": sim.ORGANIZATION_ID}
                    }
                },
            }
        },
    )


def usage(sim, req):
    bearer(sim, req, client=True)
    if req.params["org"] != sim.ORGANIZATION_ID:
        raise ja.not_found("organization")
    integ = sim.active_connect_integration()
    count = len(integ.account_ids) if integ else 0
    return json_response(
        200,
        {
            "data": {
                "type": "usage",
                "id": req.params["month"],
                "attributes": {
                    "accountCount": count,
                    "paymentCount": 0,
                    "paymentAccountCount": 0,
                    "bulkPaymentCount": 0,
                    "bulkPaymentBundleCount": 0,
                },
                "relationships": {
                    "organization": {
                        "data": {"type": "organization", "id": sim.ORGANIZATION_ID}
                    }
                },
            }
        },
    )


def onboarding_details(sim, req):
    bearer(sim, req, client=True)
    attrs = _data_attributes(req, "onboardingDetails")
    if not attrs.get("email"):
        raise ja.validation("email", "email is required")
    oid = sim_uuid("onboarding-details", sim.seed, sim.store.next())
    sim.store.onboarding[oid] = (attrs, sim.now() + _dt.timedelta(minutes=5))
    return json_response(
        201, {"data": {"type": "onboardingDetails", "id": oid, "attributes": attrs}}
    )


_REAUTH_PAGE = (
    r"/organizations/(?P<org>[^/]+)/sandbox/integrations/(?P<int>[^/]+)/accounts/"
    r"(?P<acc>[^/]+)/reauthorization-requests/(?P<rid>[^/]+)"
)

ROUTES = [
    ("api", "POST", r"/oauth2/token", oauth.token_endpoint),
    ("api", "POST", r"/oauth2/revoke", oauth.revoke_endpoint),
    ("page", "GET", r"/oauth2/auth", oauth.auth_page_get),
    ("page", "POST", r"/oauth2/auth", oauth.auth_page_post),
    ("api", "POST", r"/synchronizations", create_synchronization),
    ("api", "GET", r"/synchronizations/(?P<id>[^/]+)", get_synchronization),
    (
        "api",
        "GET",
        r"/synchronizations/(?P<id>[^/]+)/updated-transactions",
        updated_transactions,
    ),
    (
        "api",
        "GET",
        r"/synchronizations/(?P<id>[^/]+)/updated-pending-transactions",
        lambda sim, req: updated_transactions(sim, req, pending=True),
    ),
    (
        "api",
        "POST",
        r"/accounts/(?P<id>[^/]+)/reauthorization-requests",
        create_reauthorization,
    ),
    ("page", "GET", _REAUTH_PAGE, reauth_page_get),
    ("page", "POST", _REAUTH_PAGE, reauth_page_post),
    ("connect", "GET", r"/integration-accounts", integration_accounts),
    (
        "connect",
        "DELETE",
        r"/organizations/(?P<org>[^/]+)/integration",
        delete_integration,
    ),
    (
        "connect",
        "GET",
        r"/organizations/(?P<org>[^/]+)/usage/(?P<month>\d{4}-\d{2})",
        usage,
    ),
    ("connect", "POST", r"/onboarding-details", onboarding_details),
]
