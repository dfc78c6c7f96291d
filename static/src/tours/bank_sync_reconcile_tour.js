/** @odoo-module */
/*
 * A bookkeeper reconciles an imported line with OCA's account_reconcile_oca
 * (tests/test_tour_reconcile.py, against the Ponto simulator; it skips when
 * the module is not installed): the Accounting dashboard, Fetch Transactions
 * on the bank journal's card, the journal's lines (the card's Transactions),
 * then the card's "N to reconcile": the line paid with the structured
 * communication of a customer invoice is proposed with that invoice and
 * reconciled; back on the dashboard, one line less to reconcile.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CARD = ".o_kanban_record:has(.o_bank_sync_fetch)";
const TO_RECONCILE = `${CARD} .o_bank_sync_to_reconcile a`;
// the communication of the transaction the test has the bank send, and of
// the invoice it pays (the test's PAID_COMMUNICATION)
const COMMUNICATION = "+++180/9202/50117+++";
const RECORD = `.o_kanban_record:contains("${COMMUNICATION}")`;
// the screen of account_reconcile_oca: the lines on the left, the selected
// one's reconciliation on the right
const LINE = `.o_account_reconcile_oca ${RECORD}`;
const INFO = ".o_account_reconcile_oca_info";

function toReconcile(anchor) {
    const count = parseInt(anchor.textContent.trim(), 10);
    if (Number.isNaN(count)) {
        throw new Error(`no count in "${anchor.textContent.trim()}"`);
    }
    return count;
}

registry.category("web_tour.tours").add("account_bank_sync_reconcile_tour", {
    url: "/odoo",
    steps: () => {
        let before = null;
        return [
            ...stepUtils.goToAppSteps("account.menu_finance", "Open the accounting app"),
            {
                content: "The bank journal's card, nothing imported yet",
                trigger: `${CARD}:not(:has(.o_bank_sync_to_reconcile))`,
            },
            {
                content: "Fetch the transactions from the card",
                trigger: `${CARD} button.o_bank_sync_fetch`,
                run: "click",
            },
            {
                content: "Odoo says what it imported",
                trigger: ".o_notification:contains(new transactions)",
            },
            {
                content: "The card counts the lines left to reconcile",
                trigger: TO_RECONCILE,
                run() {
                    before = toReconcile(this.anchor);
                },
            },
            {
                content: "Open the journal's lines",
                trigger: `${CARD} button#all_transactions_btn`,
                run: "click",
            },
            {
                content: "account_reconcile_oca's screen lists the imported line",
                trigger: LINE,
            },
            {
                content: "Back to the dashboard",
                trigger: ".o_breadcrumb .breadcrumb-item:contains(Dashboard)",
                run: "click",
            },
            {
                content: "Open the lines to reconcile from the card",
                trigger: TO_RECONCILE,
                run: "click",
            },
            {
                content: "Pick the line paid with the invoice's communication",
                trigger: LINE,
                run: "click",
            },
            {
                content: "The line is selected",
                trigger: `${LINE}.o_kanban_record_reconcile_oca_selected`,
            },
            {
                content: "Its invoice is proposed, found by the communication",
                trigger: `${INFO} .o_reconcile_widget_line.other:contains("${COMMUNICATION}")`,
            },
            {
                content: "Reconcile",
                trigger: `${INFO} button[name=reconcile_bank_line]:not(.disabled)`,
                run: "click",
            },
            {
                content: "The line is reconciled: no longer among those to reconcile",
                trigger: `.o_account_reconcile_oca:not(:has(${RECORD}))`,
            },
            {
                content: "Back to the dashboard",
                trigger: ".o_breadcrumb .breadcrumb-item:contains(Dashboard)",
                run: "click",
            },
            {
                content: "The card counts one line less to reconcile",
                trigger: TO_RECONCILE,
                run() {
                    const after = toReconcile(this.anchor);
                    if (after !== before - 1) {
                        throw new Error(
                            `"to reconcile" went from ${before} to ${after}, not ${before - 1}`
                        );
                    }
                },
            },
        ];
    },
});
