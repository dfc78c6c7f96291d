/** @odoo-module */
/*
 * Find Missing Transactions from the bank journal's card (tests/test_find_missing.py,
 * against the Ponto simulator): a bookkeeper deleted three imported lines by
 * mistake; on the Accounting dashboard, the card's dropdown opens Find Missing
 * Transactions (the last 30 days), Find and Import reads them again at the
 * provider, Odoo says it found three, and they are among the journal's lines
 * again.
 */
import { registry } from "@web/core/registry";

const CARD = ".o_kanban_record:has(.o_bank_sync_fetch)";
// the communications of the lines deleted (the test's RESTORED)
const RESTORED = ["Find missing: rent", "Find missing: water", "Find missing: power"];
// the list of Odoo Community, or account_reconcile_oca's kanban when installed
const line = (label) => `.o_data_row:contains("${label}"), .o_kanban_record:contains("${label}")`;

registry.category("web_tour.tours").add("account_bank_sync_find_missing_tour", {
    url: "/odoo/action-account.open_account_journal_dashboard_kanban",
    steps: () => [
        {
            content: "Open the bank journal card's dropdown",
            trigger: CARD,
            run: `hover && click ${CARD} .o_dropdown_kanban .dropdown-toggle`,
        },
        {
            content: "Find Missing Transactions, in the card's Bank Feed menu",
            trigger: ".dropdown-menu a:contains(Find Missing Transactions)",
            run: "click",
        },
        {
            content: "The range: the last 30 days of the journal",
            trigger: ".modal .o_form_view div[name=date_from] input",
        },
        {
            content: "Find and import",
            trigger: ".modal button[name=action_bank_sync_import_missing]",
            run: "click",
        },
        {
            content: "Odoo says how many it found",
            trigger: ".o_notification:contains(3 missing transactions found and imported)",
        },
        {
            content: "The dialog is closed",
            trigger: `body:not(:has(.modal .o_form_view)) ${CARD}`,
        },
        {
            content: "Open the journal's lines",
            trigger: `${CARD} button#all_transactions_btn`,
            run: "click",
        },
        ...RESTORED.map((label) => ({
            content: `The deleted line "${label}" is back`,
            trigger: line(label),
        })),
    ],
});
