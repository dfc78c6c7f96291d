"""Salt Edge JSON bodies → provider-neutral dataclasses.

Bodies are decoded with ``parse_float=Decimal`` (:func:`loads`): an amount or
a balance never passes through a float. The ``raw`` kept on a dataclass is the
same payload made JSON-safe again (:func:`jsonable`: the ORM stores it in a
``Json`` field), as a plain JSON decoder would have given it.

v5 and v6 shapes are both read where they differ and it is cheap (customer
``customer_id`` (v6 [C]) or ``id`` (v5 [V])). Field names: A2 to A4 of
``shared/reference/saltedge-gocardless-api.md``.
"""

import json
import re
from decimal import Decimal
from typing import NamedTuple

from .base import Institution, OnlineAccount, SyncStatus, Transaction
from .errors import InvalidResponse
from .parsing import bank_date, parse_amount, parse_datetime, require

#: ``XF`` is Salt Edge's country of fake (sandbox) providers [C]
SANDBOX_COUNTRY = "XF"
#: what ``Institution.raw`` keeps of a provider for the client's own decisions
PROVIDER_LIMITS = (
    "max_consent_days",
    "max_fetch_interval",
    "refresh_timeout",
    "regulated",
    "country_code",
    "mode",
    "status",
)
_STRUCTURED = re.compile(r"(\+{3}|\*{3})\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*\1")
_BARE_STRUCTURED = re.compile(r"(\d{3})/?(\d{4})/?(\d{5})")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def loads(content, what="answer"):
    """A JSON object from bytes, numbers with a fraction as ``Decimal``."""
    try:
        body = json.loads(content, parse_float=Decimal)
    except ValueError:
        raise InvalidResponse(f"Salt Edge's {what} is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidResponse(f"Salt Edge's {what} is JSON of an unexpected shape")
    return body


def jsonable(value):
    """``value`` with its ``Decimal`` numbers as floats (for ``raw``)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def data_object(body, what):
    data = body.get("data")
    if not isinstance(data, dict):
        raise InvalidResponse(f"Salt Edge's {what} has no data object")
    return data


def data_list(body, what):
    """``(items, next_id)`` of a list answer (``meta.next_id`` [V])."""
    data = body.get("data")
    if data is None:
        data = []
    if not isinstance(data, list):
        raise InvalidResponse(f"Salt Edge's {what} list is not a list")
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    next_id = meta.get("next_id")
    return data, (str(next_id) if next_id not in (None, "") else None)


def text(value):
    if value is None:
        return None
    value = value if isinstance(value, str) else str(value)
    return value.strip() or None


def id_key(value):
    """Order of Salt Edge ids: digit strings that grow over time [V/I], so
    compared as integers; anything else after them, as text."""
    value = str(value)
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def customer_id(customer):
    """v6 ``customer_id`` [C], v5 ``id`` [V]."""
    value = customer.get("customer_id") or customer.get("id")
    if not value:
        raise InvalidResponse("Salt Edge's customer has no id")
    return str(value)


# --- providers -------------------------------------------------------------------


def institution(provider):
    """A provider → :class:`Institution` (``id`` = the provider ``code``).

    ``status`` [C: Salt Edge has active/inactive/disabled, no "beta"]: a
    sandbox (country ``XF``) is ``experimental``; a provider not reached
    through a regulated (PSD2) channel is ``beta``; else ``stable``. An
    ``inactive`` provider (listed, not offered in the widget) is a maintenance
    of kind ``inactive`` with no end; a ``disabled`` one is deprecated."""
    if not isinstance(provider, dict):
        raise InvalidResponse("Salt Edge's provider is not an object")
    code = str(require(provider, "code", "provider"))
    country = (provider.get("country_code") or "").upper() or None
    if country == SANDBOX_COUNTRY:
        status = "experimental"
    elif provider.get("regulated") is False:
        status = "beta"
    else:
        status = "stable"
    bics = provider.get("bic_codes") or []
    state = provider.get("status") or "active"
    return Institution(
        id=code,
        name=text(provider.get("name")) or code,
        bic=(bics[0] if isinstance(bics, list) and bics else None),
        country=country,
        logo_url=provider.get("logo_url"),
        status=status,
        time_zone=provider.get("timezone"),
        deprecated=state == "disabled",
        maintenance_type="inactive" if state == "inactive" else None,
        max_history_days=_positive_int(provider.get("max_fetch_interval")),
        raw=jsonable(provider),
    )


def _positive_int(value):
    """``max_fetch_interval`` [C]: days, or null when there is no limit."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# --- connections, attempts, consents -------------------------------------------


class Attempt(NamedTuple):
    id: str | None
    finished: bool
    success_at: object
    fail_at: object
    fail_error_class: str | None
    fail_message: str | None
    custom_fields: dict
    created_at: object
    updated_at: object
    #: ``last_stage.name`` (``fetching``, ``interactive``, ``finish``...) [C]
    stage: str | None = None


class Connection(NamedTuple):
    id: str
    customer_id: str | None
    provider_code: str | None
    status: str
    last_consent_id: str | None
    next_refresh_possible_at: object
    last_attempt: Attempt | None
    raw: dict


def attempt(value):
    if not isinstance(value, dict):
        return None
    fields = value.get("custom_fields")
    stage = value.get("last_stage")
    return Attempt(
        id=text(value.get("id")),
        finished=bool(value.get("finished")),
        success_at=parse_datetime(value.get("success_at")),
        fail_at=parse_datetime(value.get("fail_at")),
        fail_error_class=text(value.get("fail_error_class")),
        fail_message=text(value.get("fail_message")),
        custom_fields=fields if isinstance(fields, dict) else {},
        created_at=parse_datetime(value.get("created_at")),
        updated_at=parse_datetime(value.get("updated_at")),
        stage=text(stage.get("name")) if isinstance(stage, dict) else None,
    )


def connection(value):
    if not isinstance(value, dict):
        raise InvalidResponse("Salt Edge's connection is not an object")
    return Connection(
        id=str(require(value, "id", "connection")),
        customer_id=text(value.get("customer_id")),
        provider_code=text(value.get("provider_code")),
        status=value.get("status") or "active",
        last_consent_id=text(value.get("last_consent_id")),
        next_refresh_possible_at=parse_datetime(value.get("next_refresh_possible_at")),
        last_attempt=attempt(value.get("last_attempt")),
        # v5 connections carry a ``secret`` (the old app API's): never kept
        raw=jsonable({k: v for k, v in value.items() if k != "secret"}),
    )


class Consent(NamedTuple):
    id: str
    status: str
    granted_at: object
    expires_at: object
    revoked_at: object

    @property
    def ends_at(self):
        """When the consent ends: its revocation when revoked (an account of
        a revoked consent still lists, with an end in the past), else its
        expiry (``None``: unlimited, not possible for PSD2 [I])."""
        if self.status == "revoked" and self.revoked_at:
            return self.revoked_at
        return self.expires_at


def consent(value):
    if not isinstance(value, dict):
        raise InvalidResponse("Salt Edge's consent is not an object")
    return Consent(
        id=str(require(value, "id", "consent")),
        status=value.get("status") or "active",
        granted_at=parse_datetime(value.get("created_at")),
        expires_at=parse_datetime(value.get("expires_at")),
        revoked_at=parse_datetime(value.get("revoked_at")),
    )


def sync_status(conn, account_id=None, *, running=False):
    """The connection's last attempt as a :class:`SyncStatus`: ``running``
    until ``finished`` (or when the caller stopped waiting), then ``error``
    when it has a ``fail_error_class`` (or only a ``fail_at``), else
    ``success``."""
    last = conn.last_attempt
    if last is None:
        if not running:
            raise InvalidResponse("Salt Edge's connection has no last attempt")
        last = attempt({})
    problems = ()
    if running or not last.finished:
        status = "running"
    elif last.fail_error_class or (last.fail_at and not last.success_at):
        status = "error"
        problems = ({"code": last.fail_error_class, "detail": last.fail_message},)
    else:
        status = "success"
    return SyncStatus(
        id=last.id or conn.id,
        account_id=account_id,
        subtype="connection",
        status=status,
        errors=problems,
        created_at=last.created_at,
        updated_at=last.updated_at,
        raw=conn.raw,
    )


# --- accounts --------------------------------------------------------------------


def account(value, *, conn=None, consent_=None):
    """An account → :class:`OnlineAccount`. ``extra.iban`` is the reference
    (type IBAN), else ``extra.bban``/``account_number``; ``nature`` is both the
    subtype and the product; the consent's end and grant come from the
    connection's last consent, the bank read time from its last attempt."""
    if not isinstance(value, dict):
        raise InvalidResponse("Salt Edge's account is not an object")
    extra = value.get("extra") if isinstance(value.get("extra"), dict) else {}
    reference, kind = text(extra.get("iban")), "IBAN"
    if reference:
        reference = reference.replace(" ", "").upper()
    elif text(extra.get("bban")):
        reference, kind = text(extra.get("bban")), "BBAN"
    elif text(extra.get("account_number")):
        reference, kind = text(extra.get("account_number")), "account_number"
    else:
        kind = None
    last = conn.last_attempt if conn else None
    return OnlineAccount(
        id=str(require(value, "id", "account")),
        reference=reference,
        reference_type=kind,
        currency=value.get("currency_code"),
        description=text(value.get("name")) or text(extra.get("account_name")),
        holder_name=text(extra.get("holder_name")) or text(extra.get("client_name")),
        product=text(value.get("nature")),
        subtype=text(value.get("nature")),
        institution_id=conn.provider_code if conn else None,
        current_balance=parse_amount(value.get("balance"), what="balance"),
        current_balance_at=parse_datetime(value.get("updated_at")),
        available_balance=parse_amount(extra.get("available_amount"), what="balance"),
        authorized_at=consent_.granted_at if consent_ else None,
        consent_expires_at=consent_.ends_at if consent_ else None,
        synchronized_at=last.success_at if last else None,
        deprecated=extra.get("status") == "inactive",
        raw=jsonable(value),
    )


# --- transactions ----------------------------------------------------------------


def structured_reference(value):
    """``+++123/4567/89012+++`` when ``value`` holds a valid Belgian
    structured communication (``+++…+++`` or ``***…***`` in the text, or the
    whole text being its 12 digits), else ``None``."""
    if not value:
        return None
    match = _STRUCTURED.search(value)
    groups = match.groups()[1:] if match else None
    if not groups:
        bare = _BARE_STRUCTURED.fullmatch(value.strip())
        groups = bare.groups() if bare else None
    if not groups:
        return None
    digits = "".join(groups)
    check = int(digits[:10]) % 97 or 97
    if check != int(digits[10:]):
        return None
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def iban_or_none(value):
    """``value`` as a compact IBAN when it is one (mod-97), else ``None``:
    the counterpart fields hold a name or an account number, by bank [I]."""
    if not isinstance(value, str):
        return None
    compact = re.sub(r"[\s-]", "", value).upper()
    if not _IBAN.fullmatch(compact):
        return None
    digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
    return compact if int(digits) % 97 == 1 else None


def _counterpart(amount, extra):
    """Name and IBAN of the other party: ``payee`` when money goes out,
    ``payer`` when it comes in (A4 [C]); their ``*_information`` holds the
    account when it looks like an IBAN [I]."""
    sides = ("payer", "payee") if amount > 0 else ("payee", "payer")
    for side in sides:
        name = text(extra.get(side))
        account_ = iban_or_none(extra.get(f"{side}_information"))
        if name and not account_ and iban_or_none(name):
            name, account_ = None, iban_or_none(name)
        if name or account_:
            return name, account_
    return None, None


def transaction(value, time_zone=None, *, pending=False):
    """A transaction → :class:`Transaction` (raises :class:`InvalidResponse`
    when it cannot be read). ``made_on`` is the execution date; the remittance
    is the Belgian structured communication when one of ``description``,
    ``extra.information``, ``extra.additional`` holds one, else those texts
    joined (``additional`` is meant to be read with the description [C])."""
    if not isinstance(value, dict):
        raise InvalidResponse("Salt Edge's transaction is not an object")
    extra = value.get("extra") if isinstance(value.get("extra"), dict) else {}
    amount = parse_amount(value.get("amount"), required=True)
    description = text(value.get("description"))
    texts = []
    for item in (description, extra.get("information"), extra.get("additional")):
        item = text(item)
        if item and item not in texts:
            texts.append(item)
    structured = next(filter(None, map(structured_reference, texts)), None)
    name, counterpart_account = _counterpart(amount, extra)
    return Transaction(
        id=str(require(value, "id", "transaction")),
        amount=amount,
        currency=value.get("currency_code"),
        execution_date=bank_date(value.get("made_on"), time_zone),
        description=description,
        remittance_information=structured or (" ".join(texts) or None),
        remittance_structured=bool(structured),
        counterpart_name=name,
        counterpart_account=counterpart_account,
        end_to_end_id=text(extra.get("end_to_end_id")),
        additional_information=text(extra.get("additional")),
        internal_reference=text(extra.get("id")),
        created_at=parse_datetime(value.get("created_at")),
        updated_at=parse_datetime(value.get("updated_at")),
        pending=pending or value.get("status") == "pending",
        raw=jsonable(value),
    )
