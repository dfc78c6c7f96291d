"""``SaltEdgeSimulator`` operations that play the bank, the user or Salt Edge
itself (mixed into the class; kept apart to keep files short)."""

import datetime as _dt
import threading

from . import attempts, seed
from .store import Customer


class OpsMixin:
    # --- lookups ---------------------------------------------------------------
    def connection(self, connection_id):
        try:
            return self.world.connections[connection_id]
        except KeyError:
            raise KeyError(f"unknown connection {connection_id}") from None

    def _bank(self, account):
        """The bank account behind a Salt Edge account id, or a bank key
        (``"kbc-current"``)."""
        if account in self.world.banks:
            return self.world.banks[account]
        try:
            return self.world.banks[self.world.accounts[account].bank_key]
        except KeyError:
            raise KeyError(f"unknown account {account}") from None

    def _fetch_now(self, account):
        """Salt Edge fetches the connections of this bank account at once."""
        bank, now = self._bank(account), self.now()
        for conn in list(self.world.connections.values()):
            consent = self.world.consents.get(conn.last_consent_id)
            if conn.provider_code == bank.provider and consent is not None:
                attempts.import_data(self, conn, consent, now)

    # --- the bank ------------------------------------------------------------
    def add_transactions(self, account, count=1, transactions=None, fetched=False):
        """New posted transactions at the bank (``count`` generated ones, or
        ``transactions``: dicts with ``amount``, ``description`` and any other
        :class:`.bank.BankTxn` field), made today. Salt Edge sees them at the
        next connect, reconnect or refresh, or at once with ``fetched=True``.
        ``account``: a Salt Edge account id or a bank key. Returns the rows."""
        with self.lock:
            rows = self._bank(account).add(self.now().date(), count, transactions)
            if fetched:
                self._fetch_now(account)
            return rows

    def add_pending(self, account, count=1, transactions=None, fetched=False):
        """New pending transactions at the bank (as :meth:`add_transactions`)."""
        with self.lock:
            bank = self._bank(account)
            rows = bank.add(self.now().date(), count, transactions, pending=True)
            if fetched:
                self._fetch_now(account)
            return rows

    def settle_pending(self, account, fetched=False):
        """The bank books its pending transactions (they become posted)."""
        with self.lock:
            rows = self._bank(account).settle()
            if fetched:
                self._fetch_now(account)
            return rows

    def mark_duplicated(self, account_id, transaction_ids, duplicated=True):
        """Salt Edge marks these transactions of the account (un)duplicated."""
        with self.lock:
            account = self.world.accounts[account_id]
            wanted = set(transaction_ids)
            account.txns = [
                t.__class__(t.id, t.account_id, t.bank, t.created_at, duplicated)
                if t.id in wanted
                else t
                for t in account.txns
            ]

    # --- consents and connections -----------------------------------------------
    def _last_consent(self, connection_id):
        return self.world.consents[self.connection(connection_id).last_consent_id]

    def expire_consent(self, connection_id):
        """The connection's consent expires now (``advance`` does it in time)."""
        with self.lock:
            consent = self._last_consent(connection_id)
            consent.expires_at = consent.updated_at = self.now() - _dt.timedelta(
                seconds=1
            )

    def revoke(self, consent, reason):
        consent.revoked_at = consent.updated_at = self.now()
        consent.revoke_reason = reason

    def revoke_consent(self, connection_id, reason="customer"):
        """The customer revokes the consent (at the bank, or in Salt Edge)."""
        with self.lock:
            self.revoke(self._last_consent(connection_id), reason)

    def disable_connection(self, connection_id):
        with self.lock:
            self.connection(connection_id).disabled = True

    def set_provider_status(self, code, status):
        """``active``, ``inactive`` or ``disabled``."""
        if status not in ("active", "inactive", "disabled"):
            raise ValueError(status)
        with self.lock:
            self.world.providers[code]["status"] = status

    def drop_connection(self, connection_id, destroy=False):
        """Forget a connection, its consents, accounts and transactions."""
        world = self.world
        conn = world.connections.pop(connection_id)
        for account_id in conn.account_ids:
            world.accounts.pop(account_id, None)
        for consent_id in conn.consent_ids:
            world.consents.pop(consent_id, None)
        if destroy:
            data = {"connection_id": conn.id, "customer_id": conn.customer_id}
            self.queue_callbacks([("destroy", data)])

    def remove_connection(self, connection_id):
        """Salt Edge removes the connection on its side: a ``destroy`` callback."""
        with self.lock:
            self.connection(connection_id)
            self.drop_connection(connection_id, destroy=True)

    def create_connection(
        self, customer_id=None, provider_code=seed.SEED_PROVIDER, **kw
    ):
        """A connection as a finished widget session would leave it (no pages,
        no clicks); ``identifier=`` finds or creates the customer; ``consent``
        and ``attempt`` as in ``POST /connections/connect``. Its callbacks are
        sent. Returns the connection id."""
        with self.lock:
            world, now = self.world, kw.get("now") or self.now()
            customer = world.customers.get(customer_id or "")
            if customer is None:
                identifier = kw.get("identifier") or f"sim-customer-{world.counter}"
                customer = world.customer_by_identifier(identifier)
                if customer is None:
                    customer = Customer(world.next_id(), identifier, now)
                    world.customers[customer.id] = customer
            data = {
                "consent": kw.get("consent")
                or {"scopes": ["accounts", "transactions"]},
                "attempt": kw.get("attempt") or {},
            }
            provider = world.providers[provider_code]
            conn = attempts.establish(
                self, "connect", customer, provider, data, now=now
            )
            return conn.id

    # --- attempts -------------------------------------------------------------------
    def fail_next_attempt(self, error_class="ProviderUnavailable", message=None):
        """The next attempt (refresh, or Authorize in the widget) fails so."""
        self.world.next_attempt_failure = (
            error_class,
            message or f"The attempt failed: {error_class}.",
        )

    def take_failure(self, req=None):
        failure = getattr(req, "attempt_failure", None)
        if failure is None:
            failure, self.world.next_attempt_failure = (
                self.world.next_attempt_failure,
                None,
            )
        return failure

    def finish_refresh(self, connection_id):
        """The running refresh of the connection ends now."""
        with self.lock:
            conn = self.connection(connection_id)
            if conn.last_attempt is not None:
                attempts.finish(self, conn, conn.last_attempt, self.now())

    def finish_later(self, connection_id, attempt_id):
        """With ``refresh_seconds``: the refresh ends by itself, unpolled."""
        if self.refresh_seconds is None:
            return
        world = self.world

        def run():
            with self.lock:
                conn = world.connections.get(connection_id)
                last = conn.last_attempt if conn else None
                if world is self.world and last is not None and last.id == attempt_id:
                    attempts.finish(self, conn, last, self.now())

        timer = threading.Timer(float(self.refresh_seconds), run)
        timer.daemon = True
        timer.start()
