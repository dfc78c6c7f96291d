"""Ponto JSON:API resources → provider-neutral dataclasses, and Ponto error
bodies → the error taxonomy."""

from . import errors
from .base import (
    Institution,
    OnlineAccount,
    RefusedTransaction,
    SyncStatus,
    Transaction,
    TransactionPage,
)
from .parsing import bank_date, parse_amount, parse_datetime, require

#: synchronization error codes meaning "the user must re-authorise"
CONSENT_CODES = frozenset({"authorizationInvalid", "authorizationExpired"})
#: [U] the code Ponto uses for a bank in maintenance is not documented; these are
#: the names seen or plausible. Anything else is a SynchronizationFailed.
MAINTENANCE_CODES = frozenset(
    {"financialInstitutionMaintenance", "financialInstitutionUnavailable"}
)
AUTH_CODES = frozenset(
    {"invalidAccessToken", "credentialsInvalid", "clientIdInvalid", "invalid_client"}
)


def _attributes(resource, what):
    if not isinstance(resource, dict):
        raise errors.InvalidResponse(f"The provider's {what} is not an object")
    require(resource, "id", what)
    attributes = resource.get("attributes")
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise errors.InvalidResponse(f"The provider's {what} has unreadable attributes")
    return attributes


def _related_id(resource, name):
    data = ((resource.get("relationships") or {}).get(name) or {}).get("data")
    return data.get("id") if isinstance(data, dict) else None


def institution(resource):
    a = _attributes(resource, "financial institution")
    return Institution(
        id=resource["id"],
        name=a.get("name") or resource["id"],
        bic=a.get("bic"),
        country=a.get("country"),
        logo_url=a.get("logoUrl"),
        status=a.get("status") or "stable",
        time_zone=a.get("timeZone"),
        deprecated=bool(a.get("deprecated")),
        maintenance_type=a.get("maintenanceType"),
        maintenance_from=parse_datetime(a.get("maintenanceFrom")),
        maintenance_to=parse_datetime(a.get("maintenanceTo")),
        raw=resource,
    )


def account(resource):
    a = _attributes(resource, "account")
    meta = resource.get("meta") or {}
    return OnlineAccount(
        id=resource["id"],
        reference=a.get("reference"),
        reference_type=a.get("referenceType"),
        currency=a.get("currency"),
        description=a.get("description"),
        holder_name=a.get("holderName"),
        product=a.get("product") if isinstance(a.get("product"), str) else None,
        subtype=a.get("subtype"),
        institution_id=_related_id(resource, "financialInstitution"),
        current_balance=parse_amount(a.get("currentBalance"), what="balance"),
        current_balance_at=parse_datetime(
            a.get("currentBalanceReferenceDate") or a.get("currentBalanceChangedAt")
        ),
        available_balance=parse_amount(a.get("availableBalance"), what="balance"),
        available_balance_at=parse_datetime(
            a.get("availableBalanceReferenceDate") or a.get("availableBalanceChangedAt")
        ),
        authorized_at=parse_datetime(a.get("authorizedAt")),
        consent_expires_at=parse_datetime(a.get("authorizationExpirationExpectedAt")),
        synchronized_at=parse_datetime(meta.get("synchronizedAt")),
        availability=meta.get("availability") or "available",
        deprecated=bool(a.get("deprecated")),
        raw=resource,
    )


def transaction(resource, time_zone=None, pending=False):
    a = _attributes(resource, "transaction")
    return Transaction(
        id=resource["id"],
        amount=parse_amount(a.get("amount"), required=True),
        currency=a.get("currency"),
        value_date=bank_date(a.get("valueDate"), time_zone),
        execution_date=bank_date(a.get("executionDate"), time_zone),
        description=a.get("description"),
        remittance_information=a.get("remittanceInformation"),
        remittance_structured=a.get("remittanceInformationType") == "structured",
        counterpart_name=_text(a.get("counterpartName")),
        counterpart_account=a.get("counterpartReference"),
        end_to_end_id=a.get("endToEndId"),
        bank_transaction_code=a.get("bankTransactionCode"),
        proprietary_bank_transaction_code=a.get("proprietaryBankTransactionCode"),
        purpose_code=a.get("purposeCode"),
        mandate_id=a.get("mandateId"),
        creditor_id=a.get("creditorId"),
        card_reference=a.get("cardReference"),
        card_reference_type=a.get("cardReferenceType"),
        fee=parse_amount(a.get("fee"), what="fee"),
        additional_information=a.get("additionalInformation"),
        internal_reference=a.get("internalReference"),
        created_at=parse_datetime(a.get("createdAt")),
        updated_at=parse_datetime(a.get("updatedAt")),
        pending=pending,
        raw=resource,
    )


def updated_transaction(resource, time_zone=None):
    """An item of a synchronization's updated transactions: a
    :class:`Transaction`, or a :class:`RefusedTransaction` when it does not
    decode (its id known)."""
    item_id = resource.get("id") if isinstance(resource, dict) else None
    if not item_id or not isinstance(item_id, str):
        raise errors.InvalidResponse("The provider's transaction has no id")
    try:
        return transaction(resource, time_zone)
    except errors.InvalidResponse as exc:
        return RefusedTransaction(id=item_id, reason=exc.message, raw=resource)


def related_link(resource, name):
    """The ``links.related`` URL of the relationship ``name`` of a resource
    (a synchronization's ``updatedTransactions``), or None."""
    relationship = ((resource or {}).get("relationships") or {}).get(name)
    links = relationship.get("links") if isinstance(relationship, dict) else None
    url = links.get("related") if isinstance(links, dict) else None
    return url if isinstance(url, str) and url else None


def transaction_page(data, time_zone=None, stop_at_id=None, since=None):
    """One page of the transaction list → ``(page, dates, stopped)``: the
    :class:`TransactionPage`, the dates of all its transactions (those dated
    before ``since`` are left out of the page, not of ``dates``), and whether
    ``stop_at_id`` was met. An item with an id that does not decode is a
    :class:`RefusedTransaction`; an item without an id spoils the page."""
    items, ids, dates = [], [], []
    for item in data:
        item_id = item.get("id") if isinstance(item, dict) else None
        if stop_at_id and item_id == stop_at_id:
            return _page(items, ids), dates, True
        if not item_id or not isinstance(item_id, str):
            raise errors.InvalidResponse("The provider's transaction has no id")
        ids.append(item_id)
        try:
            tx = transaction(item, time_zone)
        except errors.InvalidResponse as exc:
            items.append(RefusedTransaction(id=item_id, reason=exc.message, raw=item))
            continue
        if tx.date:
            dates.append(tx.date)
        if not (since and tx.date and tx.date < since):
            items.append(tx)
    return _page(items, ids), dates, False


def _page(items, ids):
    return TransactionPage(
        items, first_id=ids[0] if ids else None, last_id=ids[-1] if ids else None
    )


def _text(value):
    # The OAS types counterpartName as an object; every fixture has a string.
    if value is None or isinstance(value, str):
        return value
    return str(value)


def synchronization(resource):
    a = _attributes(resource, "synchronization")
    problems = a.get("errors") or []
    return SyncStatus(
        id=resource["id"],
        account_id=a.get("resourceId"),
        subtype=a.get("subtype"),
        status=require(a, "status", "synchronization"),
        errors=tuple(e for e in problems if isinstance(e, dict)),
        created_at=parse_datetime(a.get("createdAt")),
        updated_at=parse_datetime(a.get("updatedAt")),
        raw=resource,
    )


def synchronization_error(sync):
    """The exception for a synchronization that ended in ``error``."""
    codes = set(sync.error_codes)
    detail = next((e.get("detail") for e in sync.errors if e.get("detail")), None)
    kwargs = {"code": next(iter(sorted(codes)), None), "errors": sync.errors}
    if codes & CONSENT_CODES:
        return errors.ConsentExpired(
            "The bank consent has expired or was withdrawn: re-authorise the "
            "account in Ponto.",
            **kwargs,
        )
    if codes & MAINTENANCE_CODES:
        return errors.InstitutionUnavailable(
            detail or "The bank is in maintenance.", **kwargs
        )
    return errors.SynchronizationFailed(
        detail or "Ponto could not refresh the account from the bank.", **kwargs
    )


def error_from_response(response):
    """Map a non-2xx Ponto answer (JSON:API or OAuth) to the taxonomy."""
    status = response.status_code
    request_id = response.headers.get("ibanity-request-id")
    try:
        body = response.json()
    except ValueError:
        body = None
    oauth = body if isinstance(body, dict) else {}
    problems = oauth.get("errors")
    problems = (
        [e for e in problems if isinstance(e, dict)]
        if isinstance(problems, list)
        else []
    )
    first = problems[0] if problems else {}
    if not request_id:
        request_id = (first.get("meta") or {}).get("requestId")
    code = first.get("code") or oauth.get("error")
    detail = first.get("detail") or oauth.get("error_description")
    clean = [
        {k: e.get(k) for k in ("code", "detail", "meta") if k in e} for e in problems
    ]
    kwargs = {"request_id": request_id, "status": status, "code": code, "errors": clean}
    text = detail or f"HTTP {status}"
    if code == "accountRecentlySynchronized":
        return errors.RecentlySynchronized(text, **kwargs)
    if status == 429:
        return errors.RateLimited(
            f"Rate limited by the provider: {text}",
            retry_after=_retry_after(response),
            **kwargs,
        )
    if status >= 500:
        return errors.TemporaryError(f"The provider is unavailable: {text}", **kwargs)
    if status in (401, 403) or code in AUTH_CODES or code == "invalid_grant":
        return errors.AuthenticationError(
            f"Access refused by the provider: {text}", **kwargs
        )
    if status == 404:
        return errors.NotFound(f"Not found at the provider: {text}", **kwargs)
    if body is None:
        return errors.InvalidResponse(
            f"Unreadable error answer (HTTP {status})", **kwargs
        )
    return errors.BankSyncError(f"The provider refused the request: {text}", **kwargs)


def _retry_after(response):
    value = response.headers.get("Retry-After")
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return None
