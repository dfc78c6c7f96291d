/** @odoo-module */
/*
 * Salt Edge's whole flow in the browser (tests/test_saltedge_tour.py, against
 * the Salt Edge simulator): Connect a Bank → KBC Business → Connect → Salt
 * Edge's widget pages (Business → Proceed, the terms → Confirm, the bank's
 * login → Authorize, then "Return to your application": walked in this
 * browser by the simulator's autoplay_pages knob) → back through
 * /bank_sync/oauth/return on the account wizard → Confirm → Fetch
 * Transactions → the lines → "Connected until" on the journal's card.
 */
import { registry } from "@web/core/registry";

const CARD = ".o_kanban_record:has(.o_bank_sync_fetch)";

registry.category("web_tour.tours").add("account_bank_sync_saltedge_tour", {
    url: "/odoo/action-account_bank_sync.action_bank_sync_link",
    steps: () => [
        {
            content: "Connect a bank",
            trigger: ".o_control_panel button:contains(Connect a Bank)",
            run: "click",
        },
        {
            content: "Search the bank by name",
            trigger: ".modal .o_field_widget[name=search_term] input",
            run: "edit KBC Business",
        },
        {
            content: "Leave the search field",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: "The only match is chosen",
            trigger:
                ".modal .o_field_widget[name=institution_id] input:value(KBC Business)",
        },
        {
            content: "Connect: off to Salt Edge's widget",
            trigger: ".modal footer button[name=action_connect]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back from Salt Edge: the account wizard lists both accounts",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:nth-child(2)",
            timeout: 30000,
        },
        {
            content: "Confirm the mapping",
            trigger: ".modal footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The connection, connected, with its journals",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Connected)",
        },
        {
            content: "Fetch the transactions now",
            trigger: ".o_form_view button[name=action_fetch_transactions]",
            run: "click",
        },
        {
            content: "Odoo says what it imported",
            trigger: ".o_notification:contains(new transactions)",
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
            content: "The card says until when Salt Edge's consent holds",
            trigger: `${CARD} .o_bank_sync_until:contains(Connected until) .o_bank_sync_until_date`,
        },
    ],
});
