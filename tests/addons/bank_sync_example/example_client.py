"""The client of the Example Bank API (a provider of the test suite only).

Its flow is unlike Ponto's on purpose, to prove the seam of ``clients/base.py``:
the user's return carries a ``customer_id`` (no OAuth code, no PKCE, no
token: the application's key and secret plus the customer id give access), a
renewal covers every account in one step, transactions are paged by cursor."""

from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from odoo.addons.account_bank_sync.clients.base import (
    AuthenticationError,
    AuthorizationDenied,
    AuthorizationResult,
    AuthorizationStart,
    BankClient,
    Institution,
    InvalidResponse,
    NotFound,
    OnlineAccount,
    RenewalRequest,
    SyncStatus,
    Transaction,
    TransactionPage,
)
from odoo.addons.account_bank_sync.clients.http import HttpSession
from odoo.addons.account_bank_sync.clients.parsing import json_body


def _when(text):
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


class ExampleClient(BankClient):
    user_authorization = True

    def __init__(
        self,
        *,
        base_url,
        client_id,
        client_secret,
        authorization_url=None,
        customer_id=None,
        verify=True,
        timeout=(10, 60),
        retries=3,
        backoff_factor=0.5,
        max_retry_after=60,
        **_ignored,  # what the core offers every client and this one needs not
    ):
        self.base_url = base_url.rstrip("/")
        self.authorization_url = authorization_url
        self.customer_id = customer_id
        self._headers = {"X-App-Id": client_id, "X-App-Secret": client_secret}
        self.http = HttpSession(
            timeout=timeout,
            verify=verify,
            retries=retries,
            backoff_factor=backoff_factor,
            max_retry_after=max_retry_after,
        )

    def call(self, method, path, *, json=None, params=None):
        headers = dict(self._headers)
        if self.customer_id:
            headers["X-Customer-Id"] = self.customer_id
        response = self.http.request(
            method,
            f"{self.base_url}/{path}",
            headers=headers,
            json=json,
            params=params,
            idempotent=method in ("GET", "DELETE"),
        )
        status = response.status_code
        if status in (401, 403):
            raise AuthenticationError(
                "The Example Bank refused the access", status=status
            )
        if status == 404:
            raise NotFound(f"The Example Bank has no {path}", status=status)
        if status >= 400:
            raise InvalidResponse(
                f"The Example Bank answered HTTP {status}", status=status
            )
        return json_body(response) if response.content else {}

    # --- institutions and accounts ----------------------------------------------

    def list_institutions(self, *, country=None, name=None):
        for bank in self.call("GET", "banks")["banks"]:
            if not country or bank["country"] == country.upper():
                yield Institution(
                    id=bank["id"],
                    name=bank["name"],
                    bic=bank["bic"],
                    country=bank["country"],
                )

    @staticmethod
    def _account(data):
        return OnlineAccount(
            id=data["id"],
            reference=data["iban"],
            reference_type="IBAN",
            currency=data["currency"],
            description=data["name"],
            institution_id=data["bank_id"],
            current_balance=Decimal(data["balance"]),
            consent_expires_at=_when(data["consent_until"]),
            raw=data,
        )

    def list_accounts(self):
        return [self._account(a) for a in self.call("GET", "accounts")["accounts"]]

    def get_account(self, account_id):
        return self._account(self.call("GET", f"accounts/{account_id}")["account"])

    def synchronize(self, account_id, *, customer_ip_address=None):
        self.call("POST", f"accounts/{account_id}/refresh")
        return SyncStatus(
            id=account_id, account_id=account_id, subtype=None, status="success"
        )

    # --- transactions ---------------------------------------------------------

    @staticmethod
    def _transaction(data):
        return Transaction(
            id=data["id"],
            amount=Decimal(data["amount"]),
            currency=data["currency"],
            value_date=date.fromisoformat(data["date"]),
            execution_date=date.fromisoformat(data["date"]),
            description=data["description"],
            counterpart_name=data.get("counterpart_name"),
            counterpart_account=data.get("counterpart_iban"),
            raw=data,
        )

    def iter_transaction_pages(
        self, account_id, *, stop_at_id=None, since=None, after_id=None
    ):
        cursor = after_id
        while True:
            body = self.call(
                "GET",
                f"accounts/{account_id}/transactions",
                params={"cursor": cursor} if cursor else None,
            )
            items = body["transactions"]
            if not items:
                return
            page, stopped = [], False
            for item in items:
                if item["id"] == stop_at_id:
                    stopped = True
                    break
                tx = self._transaction(item)
                if not since or tx.date >= since:
                    page.append(tx)
            yield TransactionPage(
                page, first_id=items[0]["id"], last_id=items[-1]["id"]
            )
            cursor = body.get("next_cursor")
            if stopped or not cursor:
                return

    def get_transaction(self, account_id, transaction_id):
        body = self.call("GET", f"accounts/{account_id}/transactions/{transaction_id}")
        return self._transaction(body["transaction"])

    # --- Connect, Renew, Disconnect -----------------------------------------

    @property
    def authorized(self):
        return bool(self.customer_id)

    def start_authorization(self, *, redirect_uri, state):
        query = urlencode({"state": state, "return_to": redirect_uri})
        return AuthorizationStart(url=f"{self.authorization_url}?{query}")

    def complete_authorization(self, callback, *, verifier=None, redirect_uri=None):
        if callback.get("error") or not callback.get("customer_id"):
            raise AuthorizationDenied(callback.get("error") or "no customer")
        self.customer_id = callback["customer_id"]
        self.call("GET", "accounts")  # the customer exists and gave access
        return AuthorizationResult(organization_id=self.customer_id)

    def request_renewal(self, account_ids, *, redirect_uri):
        body = self.call(
            "POST",
            "renewals",
            json={"accounts": list(account_ids), "return_to": redirect_uri},
        )
        return RenewalRequest(url=body["url"], account_ids=tuple(account_ids))

    def remove_account(self, account_id):
        self.call("DELETE", f"accounts/{account_id}")

    def revoke(self):
        self.call("DELETE", "customer")
