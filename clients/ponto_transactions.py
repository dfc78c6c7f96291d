"""Ponto's synchronizations (a refresh at the bank) and the transactions they
bring: the booked ones page by page, the pending ones, and those a
synchronization updated (mixed into :class:`.ponto.PontoClient`).

- Pending transactions are a list of their own (``/pending-transactions``),
  filled by a synchronization of subtype ``accountTransactionsWithUnsettled``
  only (``ponto-api.md`` 3.4): the subtype this client asks for by default, as
  it reads the booked transactions too.
- A synchronization lists the transactions it *updated* (not created) behind
  its relationship ``updatedTransactions`` (``links.related``, 3.5). Ponto
  has no list of an account's synchronizations: the updates read are those of
  the synchronizations this client ran, and of the account's latest one
  (``meta.latestSynchronization`` of its transaction list: Ponto's own
  scheduled read, the one a ``transactionsUpdated`` webhook tells of).
"""

from . import ponto_decode as decode
from .errors import InvalidResponse, TemporaryError
from .parsing import require

#: booked and pending transactions together; no other subtype fills the
#: pending list
SYNC_SUBTYPE = "accountTransactionsWithUnsettled"
#: stop paging a little below the date floor: Ponto orders by creation, not by
#: date, so a few older-dated lines sit among newer ones (OCA stops 7 days early)
DATE_SLACK_DAYS = 7


class PontoTransactionsMixin:
    # --- synchronizations -----------------------------------------------------

    def create_synchronization(
        self, account_id, subtype=None, customer_ip_address=None
    ):
        attributes = {
            "resourceType": "account",
            "resourceId": account_id,
            "subtype": subtype or self.sync_subtype,
        }
        ip = customer_ip_address or self.customer_ip_address
        if ip:  # without it the access counts as unattended (4 per day)
            attributes["customerIpAddress"] = ip
        body = self.call(
            "POST",
            "synchronizations",
            json={"data": {"type": "synchronization", "attributes": attributes}},
            idempotency_key=True,
        )
        return decode.synchronization(require(body, "data", "answer"))

    def get_synchronization(self, synchronization_id):
        body = self.call("GET", f"synchronizations/{synchronization_id}")
        return decode.synchronization(require(body, "data", "answer"))

    def wait_synchronization(self, sync):
        """Poll until the synchronization ends, within ``sync_poll_timeout``.

        Returns it when it succeeded; raises the mapped error otherwise.
        """
        deadline = self._clock() + self.sync_poll_timeout
        while not sync.done:
            if self._clock() >= deadline:
                raise TemporaryError(
                    "Ponto is still synchronizing the account (no final answer "
                    f"within {self.sync_poll_timeout:g} s)"
                )
            self._sleep(self.sync_poll_interval)
            sync = self.get_synchronization(sync.id)
        if not sync.succeeded:
            raise decode.synchronization_error(sync)
        return sync

    def synchronize(self, account_id, *, subtype=None, customer_ip_address=None):
        sync = self.create_synchronization(account_id, subtype, customer_ip_address)
        sync = self.wait_synchronization(sync)
        # its updated transactions are read after the booked ones
        self._synchronizations.setdefault(account_id, {})[sync.id] = sync
        return sync

    # --- transactions ---------------------------------------------------------

    def iter_transaction_pages(
        self, account_id, *, stop_at_id=None, since=None, after_id=None, time_zone=None
    ):
        """Yield a :class:`~.base.TransactionPage` per page, newest first (see
        :class:`BankClient`).

        Transactions dated before ``since`` are left out; paging stops at
        ``stop_at_id`` or after a page dated wholly before ``since`` minus
        :data:`DATE_SLACK_DAYS`.
        """
        zone = time_zone or self.time_zone
        floor = since and since.toordinal() - DATE_SLACK_DAYS
        params = {"page[after]": after_id} if after_id else None
        meta = {}
        path = f"accounts/{account_id}/transactions"
        for data in self._pages(path, params, meta=meta):
            self._note_latest_synchronization(account_id, meta)
            page, dates, stopped = decode.transaction_page(
                data, zone, stop_at_id, since
            )
            if page.first_id:
                yield page
            if stopped or (floor and dates and max(dates).toordinal() < floor):
                return

    def get_transaction(self, account_id, transaction_id, *, time_zone=None):
        body = self.call("GET", f"accounts/{account_id}/transactions/{transaction_id}")
        return decode.transaction(
            require(body, "data", "transaction"), time_zone or self.time_zone
        )

    def iter_transactions(self, account_id, **kwargs):
        for page in self.iter_transaction_pages(account_id, **kwargs):
            yield from page

    def list_pending_transactions(self, account_id, *, time_zone=None):
        zone = time_zone or self.time_zone
        return [
            decode.transaction(item, zone, pending=True)
            for data in self._pages(f"accounts/{account_id}/pending-transactions")
            for item in data
        ]

    # --- updated transactions -------------------------------------------------

    def iter_updated_transactions(self, account_id, *, since=None, time_zone=None):
        """The transactions of ``account_id`` the bank changed after Ponto
        first had them (see :class:`BankClient`): those updated by the
        synchronizations this client ran and by the account's latest one,
        when they ended at or after ``since`` (an aware datetime). One item
        per transaction, as the latest synchronization gave it; one that
        does not decode is a :class:`RefusedTransaction`."""
        if account_id not in self._latest_synchronization:
            # no page read in this session: the first one says (one item)
            meta = {}
            path = f"accounts/{account_id}/transactions"
            for _data in self._pages(path, {"page[limit]": 1}, meta=meta):
                break
            self._note_latest_synchronization(account_id, meta)
        syncs = dict(self._synchronizations.get(account_id, {}))
        latest = self._latest_synchronization.get(account_id)
        if latest is not None:
            syncs.setdefault(latest.id, latest)  # ours carries its links
        found = {}
        for sync in sorted(syncs.values(), key=_ended):
            if not sync.succeeded or sync.subtype == "accountDetails":
                continue
            if since and sync.updated_at and sync.updated_at < since:
                continue
            for tx in self.iter_synchronization_updates(sync, time_zone=time_zone):
                found[tx.id] = tx  # a later synchronization's version wins
        return iter(list(found.values()))

    def iter_synchronization_updates(self, synchronization, *, time_zone=None):
        """The transactions one synchronization (a :class:`~.base.SyncStatus`
        or its id) updated, through its relationship link
        ``updatedTransactions`` (the documented path when it carries none)."""
        zone = time_zone or self.time_zone
        if isinstance(synchronization, str):
            sync_id, link = synchronization, None
        else:
            sync_id = synchronization.id
            link = decode.related_link(synchronization.raw, "updatedTransactions")
        path = link or f"synchronizations/{sync_id}/updated-transactions"
        for data in self._pages(path):
            for item in data:
                yield decode.updated_transaction(item, zone)

    def _note_latest_synchronization(self, account_id, meta):
        """The account's latest transactions synchronization, from a
        transaction list's ``meta``."""
        resource = meta.get("latestSynchronization")
        if not isinstance(resource, dict) or not resource.get("id"):
            self._latest_synchronization.setdefault(account_id, None)
            return
        try:
            sync = decode.synchronization(resource)
        except InvalidResponse:
            sync = None
        self._latest_synchronization[account_id] = sync


def _ended(sync):
    return sync.updated_at.timestamp() if sync.updated_at else 0.0
