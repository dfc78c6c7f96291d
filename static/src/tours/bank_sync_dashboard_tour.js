/** @odoo-module */
/*
 * The bank journal's card on the Accounting dashboard (tests/test_dashboard.py,
 * against the Ponto simulator):
 * - account_bank_sync_dashboard_tour: "Connected until" on the card (no Renew
 *   months before the end), Fetch Transactions imports lines, "Synchronized
 *   just now" shows, the bank balance is there;
 * - account_bank_sync_dashboard_renew_tour: an expired connection shows its
 *   date in red and Renew in red; Renew goes to the simulator's
 *   reauthorization page (approved by its auto_approve_pages knob) and back
 *   through /bank_sync/reauthorize/return to the connection, connected again,
 *   and so is the card.
 */
import { registry } from "@web/core/registry";

const CARD = ".o_kanban_record:has(.o_bank_sync_fetch)";

registry.category("web_tour.tours").add("account_bank_sync_dashboard_tour", {
    url: "/odoo/action-account.open_account_journal_dashboard_kanban",
    steps: () => [
        {
            content: "The card says until when the bank connection holds",
            trigger: `${CARD} .o_bank_sync_until:contains(Connected until) .o_bank_sync_until_date`,
        },
        {
            content: "Not expiring soon: no warning colour",
            trigger: `${CARD} .o_bank_sync_until_date:not(.text-warning):not(.text-danger)`,
        },
        {
            content: "Months before the end of the consent, Renew is not pushed",
            trigger: `${CARD}:not(:has(button.o_bank_sync_renew))`,
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
            content: "The card shows the last synchronization",
            trigger: `${CARD} .o_bank_sync_last_sync:contains(Synchronized):contains(just now)`,
        },
        {
            content: "and the bank's balance",
            trigger: `${CARD} .o_bank_sync_balance:contains(Bank balance)`,
        },
        {
            content: "Open the transactions",
            trigger: `${CARD} button#all_transactions_btn`,
            run: "click",
        },
        {
            content: "The imported lines are there",
            trigger: ".o_data_row, .o_kanban_record:not(.o_kanban_ghost)",
        },
    ],
});

registry.category("web_tour.tours").add("account_bank_sync_dashboard_renew_tour", {
    url: "/odoo/action-account.open_account_journal_dashboard_kanban",
    steps: () => [
        {
            content: "The expired consent, in red",
            trigger: `${CARD} .o_bank_sync_until:contains(Expired on) .o_bank_sync_until_date.text-danger`,
        },
        {
            content: "Renew, in red: off to the provider's reauthorization page",
            trigger: `${CARD} button.o_bank_sync_renew.btn-danger`,
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back from the provider on the connection, connected again",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Connected)",
        },
        {
            content: "Open the Accounting dashboard",
            trigger: "body",
            run: () => {
                window.location.href =
                    "/odoo/action-account.open_account_journal_dashboard_kanban";
            },
            expectUnloadPage: true,
        },
        {
            content: "The card is connected again: Renew is no longer red",
            trigger: `${CARD} .o_bank_sync_until:contains(Connected until) .o_bank_sync_until_date:not(.text-danger)`,
        },
        {
            content: "No red Renew button",
            trigger: `${CARD}:not(:has(button.o_bank_sync_renew.btn-danger))`,
        },
    ],
});
