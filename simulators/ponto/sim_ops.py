"""``PontoSimulator`` helpers that drive the bank side and the integrations
(mixed into the class; kept apart to keep files short)."""

import datetime as _dt

from . import bank, oauth, routes_sync


class BankOpsMixin:
    # --- bank side ------------------------------------------------------------
    def _account(self, account_id):
        try:
            return self.store.accounts[account_id]
        except KeyError:
            raise KeyError(f"unknown account {account_id}") from None

    def queue_bank_transactions(self, account_id, count=1, pending=False):
        """New transactions at the bank: visible after the next successful
        accountTransactions sync (pending ones: accountTransactionsWithUnsettled).
        ``count``: a number, or a list of attribute dicts. Returns their ids."""
        with self.lock:
            return bank.queue_transactions(
                self, self._account(account_id), count, pending
            )

    def queue_bank_update(self, account_id, transaction_id, **changes):
        with self.lock:
            bank.queue_update(self._account(account_id), transaction_id, changes)

    def settle_pending(self, account_id, pending_id=None):
        with self.lock:
            return bank.settle_pending(self._account(account_id), pending_id)

    def provider_sync(self, account_id):
        """Ponto synchronizes the account on its own schedule, now: what waited
        at the bank becomes visible without any client request. Returns the
        synchronization's status (``error`` during a maintenance, ...)."""
        with self.lock:
            return bank.scheduled_sync(self, self._account(account_id)).status

    def fail_next_sync(self, account_id, code="authorizationInvalid", detail=None):
        """The next synchronization of the account ends in ``error`` with this code."""
        self.next_sync_errors[account_id] = (
            code,
            detail or bank.ERROR_DETAILS.get(code, "The synchronization failed."),
        )

    def expire_consent(self, account_id):
        with self.lock:
            account = self._account(account_id)
            account.expires_at = self.now() - _dt.timedelta(days=1)
            account.authorized_at = account.expires_at - _dt.timedelta(
                days=self.consent_days
            )

    def renew_consent(self, account_id):
        with self.lock:
            account = self._account(account_id)
            account.authorized_at = self.now()
            account.expires_at = account.authorized_at + _dt.timedelta(
                days=self.consent_days
            )

    def set_maintenance(
        self,
        institution_id,
        maintenance_type="financialInstitution",
        start=None,
        end=None,
    ):
        """Maintenance from ``start`` (default: now) to ``end`` (default: +1 day)."""
        start = start or self.now()
        self.store.institutions[institution_id].set_maintenance(
            maintenance_type, start, end or start + _dt.timedelta(days=1)
        )

    def clear_maintenance(self, institution_id):
        self.store.institutions[institution_id].set_maintenance(None)

    # --- integrations ----------------------------------------------------------
    def active_connect_integration(self):
        for integ in self.store.integrations.values():
            if integ.kind == "connect" and not integ.revoked:
                return integ
        return None

    @property
    def connect_integration_id(self):
        integ = self.active_connect_integration()
        return integ.id if integ else None

    def revoke_integration(self, integration_id):
        with self.lock:
            integ = self.store.integrations.get(integration_id)
            if integ is None or integ.revoked:
                return
            integ.revoked = True
            for tok in self.store.tokens.values():
                if tok.integration_id == integration_id:
                    tok.revoked = True
            self.emit_webhook("pontoConnect.integration.revoked", None)

    def refresh_token_stats(self):
        """What the token endpoint saw of refresh grants: ``refreshes`` (requests
        with a known refresh token), ``reuses`` (of those, how many presented a
        token already rotated, i.e. sent twice) and ``max_presentations`` (the
        most any one refresh token was presented). Values only, no token."""
        with self.lock:
            presented = self.store.refresh_presented
            return {
                "refreshes": sum(presented.values()),
                "reuses": self.store.refresh_reuses,
                "max_presentations": max(presented.values(), default=0),
            }

    def visible_transactions(self, account_id, integration_id=None, pending=False):
        """What the API shows now (newest first) as ``{"id": ..., **attributes}``."""
        with self.lock:
            account = self._account(account_id)
            integ = self.store.integrations[
                integration_id or self.custom_integration_id
            ]
            items = account.pending if pending else integ.visible(account)
            return [dict(t.attrs, id=t.id) for t in reversed(items)]

    def complete_authorization(
        self, authorization_url, decision="authorize", account_ids=None
    ):
        """What a user approving the authorization page does; returns the redirect."""
        from urllib.parse import parse_qsl, urlsplit

        with self.lock:
            kind, value = oauth.begin_authorization(
                self, dict(parse_qsl(urlsplit(authorization_url).query))
            )
            if kind != "page":
                return value if kind == "redirect" else None
            return oauth.decide(self, value, decision, account_ids)

    def complete_reauthorization(self, redirect_link, decision="approve"):
        with self.lock:
            return routes_sync.complete_reauthorization(
                self, redirect_link.rstrip("/").rsplit("/", 1)[-1], decision
            )
