"""Read endpoints: discovery, financial institutions, accounts, transactions,
pending transactions, userinfo, plus the public JWKS and institution logos."""

from fnmatch import fnmatchcase

from . import jsonapi as ja
from . import pages
from .oauth import bearer
from .responses import Response, json_response


def discovery(sim, req):
    b = req.base.api
    links = {
        "userinfo": b + "/userinfo",
        "accounts": b + "/accounts/{accountId}",
        "financialInstitutions": b + "/financial-institutions/{financialInstitutionId}",
        "synchronizations": b + "/synchronizations/{synchronizationId}",
        "account": {
            "transactions": b + "/accounts/{accountId}/transactions/{transactionId}",
            "pendingTransactions": b
            + "/accounts/{accountId}/pending-transactions/{pendingTransactionId}",
            "payments": b + "/accounts/{accountId}/payments/{paymentId}",
            "bulkPayments": b + "/accounts/{accountId}/bulk-payments/{bulkPaymentId}",
            "paymentRequests": b
            + "/accounts/{accountId}/payment-requests/{paymentRequestId}",
            "reauthorizationRequests": b
            + "/accounts/{accountId}/reauthorization-requests",
        },
        "synchronization": {
            "updatedTransactions": b
            + "/synchronizations/{synchronizationId}/updated-transactions",
            "updatedPendingTransactions": b
            + "/synchronizations/{synchronizationId}/updated-pending-transactions",
        },
        "paymentActivationRequests": b + "/payment-activation-requests",
        "paymentRequestActivationRequests": b + "/payment-request-activation-requests",
        "oauth2": {"token": b + "/oauth2/token", "revoke": b + "/oauth2/revoke"},
        "sandbox": {
            "financialInstitution": {
                "financialInstitutionAccounts": b + "/sandbox/financial-institutions/"
                "{financialInstitutionId}/financial-institution-accounts/{financialInstitutionAccountId}",
                "financialInstitutionAccount": {
                    "financialInstitutionTransactions": b
                    + "/sandbox/financial-institutions/{financialInstitutionId}/"
                    "financial-institution-accounts/{financialInstitutionAccountId}/financial-institution-transactions/"
                    "{financialInstitutionTransactionId}"
                },
            }
        },
    }
    if req.profile == "connect":
        links.update(
            {
                "integrationAccounts": b + "/integration-accounts",
                "onboardingDetails": b + "/onboarding-details/{onboardingDetailsId}",
                "organizations": {
                    "usage": b + "/organizations/{organizationId}/usage/{month}",
                    "integration": b + "/organizations/{organizationId}/integration",
                },
            }
        )
    else:  # Ponto API (api.myponto.com) extras; only listed, not served [U: shapes]
        links.update(
            {
                "me": b + "/me",
                "organizationAccounts": b + "/organization-accounts",
                "integrations": b + "/integrations/{integrationId}",
            }
        )
    return json_response(200, {"links": links})


def _institutions_for(sim, req):
    if not req.headers.get("authorization"):
        return list(sim.store.institutions.values())
    _tok, integ = bearer(sim, req, client=None)
    if integ is None:  # client token: the public list
        return list(sim.store.institutions.values())
    ids = {sim.store.accounts[a].fi_id for a in integ.account_ids}
    return [fi for fi in sim.store.institutions.values() if fi.id in ids]


def _match(value, op, wanted):
    text = "" if value is None else str(value)
    if op == "eq":
        return text.lower() == wanted.lower()
    if op == "in":
        return text.lower() in [w.strip().lower() for w in wanted.split(",")]
    if op == "contains":
        return wanted.lower() in text.lower()
    if op == "like":  # [I] case-insensitive; SQL wildcards honoured when present
        pattern = wanted.lower().replace("%", "*").replace("_", "?")
        return fnmatchcase(
            text.lower(),
            pattern if "*" in pattern or "?" in pattern else f"*{pattern}*",
        )
    raise ja.validation("filter", f"unsupported filter operator {op}")


def list_institutions(sim, req):
    fis = sorted(
        _institutions_for(sim, req), key=lambda fi: (fi.attrs["name"].lower(), fi.id)
    )
    now = sim.now()
    for key, values in req.query.items():
        if key.startswith("filter[") and key.count("[") == 2:
            field, op = key[7:].split("][")[0], key.split("][")[1].rstrip("]")
            fis = [fi for fi in fis if _match(fi.attrs.get(field), op, values[0])]
    return json_response(
        200,
        ja.page(
            sim,
            req,
            fis,
            req.base.api + "/financial-institutions",
            lambda fi: ja.institution(req.base, fi, now),
        ),
    )


def get_institution(sim, req):
    fi = sim.store.institutions.get(req.params["id"])
    if fi is None or fi not in _institutions_for(sim, req):
        raise ja.not_found("financialInstitution")
    return json_response(200, {"data": ja.institution(req.base, fi, sim.now())})


def user_account(sim, req, account_id):
    """(integration, account) for a user token that may see ``account_id``."""
    _tok, integ = bearer(sim, req)
    account = sim.store.accounts.get(account_id)
    if account is None or account.id not in integ.account_ids:
        raise ja.not_found("account")
    return integ, account


def list_accounts(sim, req):
    _tok, integ = bearer(sim, req)
    accounts = [sim.store.accounts[a] for a in integ.account_ids]
    return json_response(
        200,
        ja.page(
            sim,
            req,
            accounts,
            req.base.api + "/accounts",
            lambda a: ja.account_resource(req.base, sim, a),
        ),
    )


def get_account(sim, req):
    _integ, account = user_account(sim, req, req.params["id"])
    return json_response(200, {"data": ja.account_resource(req.base, sim, account)})


def delete_account(sim, req):
    integ, account = user_account(sim, req, req.params["id"])
    integ.account_ids.remove(account.id)
    integ.floors.pop(account.id, None)
    sim.emit_webhook(
        "pontoConnect.integration.accountRevoked", None, account_id=account.id
    )
    return json_response(200, {"data": {"type": "account", "id": account.id}})


def list_transactions(sim, req, pending=False):
    integ, account = user_account(sim, req, req.params["id"])
    items = account.pending if pending else integ.visible(account)
    kind = "pending-transactions" if pending else "transactions"
    url = f"{req.base.api}/accounts/{account.id}/{kind}"
    return json_response(
        200,
        ja.page(
            sim,
            req,
            list(reversed(items)),
            url,
            lambda t: ja.txn_resource(req.base, account, t, pending),
            ja.collection_meta(sim, account),
        ),
    )


def get_transaction(sim, req, pending=False):
    integ, account = user_account(sim, req, req.params["id"])
    items = account.pending if pending else integ.visible(account)
    txn = next((t for t in items if t.id == req.params["tid"]), None)
    if txn is None:
        raise ja.not_found("pendingTransaction" if pending else "transaction")
    return json_response(
        200, {"data": ja.txn_resource(req.base, account, txn, pending)}
    )


def userinfo(sim, req):
    tok, _integ = bearer(sim, req)
    body = {
        "sub": sim.ORGANIZATION_ID,
        "paymentsActivated": True,
        "paymentsActivationRequested": True,
        "onboardingComplete": True,
    }
    if "name" in tok.scope.split() or tok.grant == "custom":
        body["name"] = sim.ORGANIZATION_NAME
    return json_response(200, body)


def webhook_keys(sim, req):
    return json_response(200, sim.jwks())


def logo(sim, req):
    for fi in sim.store.institutions.values():
        if fi.key == req.params["key"]:
            return Response(
                200,
                pages.logo_svg(fi.attrs["name"], fi.attrs["primaryColor"]),
                "image/svg+xml",
            )
    raise ja.not_found("logo")


ROUTES = [
    ("api", "GET", r"/", discovery),
    ("api", "GET", r"/financial-institutions", list_institutions),
    ("api", "GET", r"/financial-institutions/(?P<id>[^/]+)", get_institution),
    ("api", "GET", r"/accounts", list_accounts),
    ("api", "GET", r"/accounts/(?P<id>[^/]+)", get_account),
    ("api", "DELETE", r"/accounts/(?P<id>[^/]+)", delete_account),
    ("api", "GET", r"/accounts/(?P<id>[^/]+)/transactions", list_transactions),
    (
        "api",
        "GET",
        r"/accounts/(?P<id>[^/]+)/transactions/(?P<tid>[^/]+)",
        get_transaction,
    ),
    (
        "api",
        "GET",
        r"/accounts/(?P<id>[^/]+)/pending-transactions",
        lambda sim, req: list_transactions(sim, req, pending=True),
    ),
    (
        "api",
        "GET",
        r"/accounts/(?P<id>[^/]+)/pending-transactions/(?P<tid>[^/]+)",
        lambda sim, req: get_transaction(sim, req, pending=True),
    ),
    ("api", "GET", r"/userinfo", userinfo),
    ("page", "GET", r"/webhooks/keys", webhook_keys),
    ("page", "GET", r"/logos/(?P<key>[a-z0-9-]+)\.svg", logo),
]
