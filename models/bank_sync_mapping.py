"""Provider-neutral transactions (``clients.base.Transaction``) → values of
``account.bank.statement.line``.

Pure helpers (structured communication, counterpart account number) are plain
functions; what needs the database (currencies, partners) lives on the
abstract model ``bank.sync.mapping``, one call per page of transactions.
"""

import re

from stdnum import iban as stdnum_iban

from odoo import api, fields, models

from odoo.addons.account.tools.structured_reference import (
    is_valid_structured_reference_be,
    sanitize_structured_reference,
)

from ..clients.base import RefusedTransaction

# A Belgian structured communication as people and banks write it:
# +++123/4567/89012+++, ***123/4567/89012***, 123/4567/89012 or 123456789012.
_BE_REFERENCE = re.compile(
    r"(?:\+{3}|\*{3})?(\d{3})/?(\d{4})/?(\d{5})(?:\+{3}|\*{3})?", re.ASCII
)


def structured_reference_be(text):
    """``+++123/4567/89012+++`` when ``text`` is a valid Belgian structured
    communication in any usual spelling, else ``None``."""
    if not text:
        return None
    match = _BE_REFERENCE.fullmatch(sanitize_structured_reference(text))
    if not match:
        return None
    digits = "".join(match.groups())
    if not is_valid_structured_reference_be(digits):
        return None
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def payment_reference(tx):
    """The statement line label: the normalised Belgian structured
    communication, else the free communication, else the description; never
    empty (Odoo's matching and the reconciliation widget read this field)."""
    text = (tx.remittance_information or "").strip()
    structured = structured_reference_be(text)
    if structured:
        return structured
    return (
        text or (tx.description or "").strip() or (tx.counterpart_name or "").strip()
    ) or "/"


def counterpart_account(tx):
    """The counterpart account number, compact and upper-case (as Odoo's
    ``res.partner.bank.sanitized_acc_number``), or ``False``."""
    if not tx.counterpart_account:
        return False
    return stdnum_iban.compact(tx.counterpart_account) or False


def line_date(tx, date_source="execution"):
    """The line date: the execution (booking) date or the value date, as the
    connection says, falling back on the other one, then on the day the
    provider recorded it; ``None`` when the provider gave no date at all."""
    first, second = (
        (tx.value_date, tx.execution_date)
        if date_source == "value"
        else (tx.execution_date, tx.value_date)
    )
    return first or second or (tx.created_at and tx.created_at.date()) or None


class BankSyncMapping(models.AbstractModel):
    _name = "bank.sync.mapping"
    _description = "Bank synchronization: transaction to statement line mapping"

    @api.model
    def _prepare_statement_lines(self, account, transactions):
        """``(values, refused)``: values for ``account.bank.statement.line.
        create()``, one dict per transaction of ``account`` (a
        ``bank.sync.account`` mapped to a journal), and the
        :class:`RefusedTransaction` of those in a currency Odoo does not know
        (never booked in the journal's currency instead).

        Partners are matched by counterpart account number with ONE search for
        the whole list, currencies are read ONCE for the whole list.
        """
        journal = account.journal_id
        company = journal.company_id
        journal_currency = journal.currency_id or company.currency_id
        date_source = account.link_id.date_source or "execution"
        partners = self._match_partners(
            [counterpart_account(tx) for tx in transactions], company
        )
        currencies = self._currencies({tx.currency for tx in transactions})
        vals_list, refused = [], []
        for tx in transactions:
            code = (tx.currency or "").upper()
            if code and code not in currencies:
                reason = self.env._(
                    "its currency %s is unknown to Odoo (add it under Accounting "
                    "> Configuration > Currencies)",
                    code,
                )
                refused.append(RefusedTransaction(id=tx.id, reason=reason, raw=tx.raw))
                continue
            number = counterpart_account(tx)
            day = line_date(tx, date_source) or fields.Date.context_today(self)
            vals = {
                "journal_id": journal.id,
                "bank_sync_account_id": account.id,
                "bank_sync_ref": tx.id,
                "date": day,
                "amount": float(tx.amount),
                "payment_ref": payment_reference(tx),
                "partner_name": tx.counterpart_name or False,
                "account_number": number,
                "transaction_type": tx.bank_transaction_code
                or tx.proprietary_bank_transaction_code
                or False,
                "transaction_details": tx.raw or {"id": tx.id},
                "partner_id": partners.get(number, False),
            }
            currency = currencies.get(code)
            if currency and currency != journal_currency:
                # Keep the bank's amount in its own currency; the journal gets
                # it converted at the rate of the day.
                vals["foreign_currency_id"] = currency.id
                vals["amount_currency"] = float(tx.amount)
                vals["amount"] = currency._convert(
                    float(tx.amount), journal_currency, company, day
                )
            vals_list.append(vals)
        return vals_list, refused

    @api.model
    def _currencies(self, codes):
        codes = {code.upper() for code in codes if code}
        if not codes:
            return {}
        records = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", sorted(codes))])
        )
        return {currency.name: currency for currency in records}

    @api.model
    def _match_partners(self, numbers, company):
        """``{sanitized account number: partner id}`` for the numbers held by
        exactly one partner (of ``company`` or shared); one search."""
        numbers = sorted({n for n in numbers if n})
        if not numbers:
            return {}
        banks = self.env["res.partner.bank"].search_fetch(
            [
                ("sanitized_acc_number", "in", numbers),
                ("company_id", "in", [False, company.id]),
            ],
            ["sanitized_acc_number", "partner_id", "company_id"],
        )
        found = {}
        for bank in banks:
            # A company's own record wins over a shared one.
            rank = 0 if bank.company_id else 1
            found.setdefault(bank.sanitized_acc_number, {}).setdefault(rank, set()).add(
                bank.partner_id.id
            )
        result = {}
        for number, by_rank in found.items():
            partner_ids = by_rank[min(by_rank)]
            if len(partner_ids) == 1:  # ambiguous numbers stay unmatched
                result[number] = partner_ids.pop()
        return result
