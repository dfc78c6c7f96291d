/** @odoo-module */
/*
 * From the Invoicing/Accounting menu to statement lines in a new bank journal:
 * Configuration > Bank Synchronization > Connections, Connect a Bank, choose
 * KBC, Connect (Ponto custom integration: no redirect), map the two KBC accounts
 * to new journals (the simulator's BNP accounts are left out), Confirm, Fetch
 * Transactions, then open the imported lines of the new journal.
 * Driven by tests/test_tour.py against the Ponto simulator.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("account_bank_sync_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open the accounting app"),
        {
            content: "Open the configuration menu",
            trigger: "[data-menu-xmlid='account.menu_finance_configuration']",
            run: "click",
        },
        {
            content: "Open the bank connections",
            trigger: "[data-menu-xmlid='account_bank_sync.menu_bank_sync_link']",
            run: "click",
        },
        {
            content: "Connect a bank",
            trigger: ".o_control_panel button:contains(Connect a Bank)",
            run: "click",
        },
        {
            content: "Search the bank by name",
            trigger: ".modal .o_field_widget[name=search_term] input",
            run: "edit KBC",
        },
        {
            content: "Leave the search field",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: "The only match is chosen",
            trigger: ".modal .o_field_widget[name=institution_id] input:value(KBC Bank)",
        },
        {
            content: "Connect",
            trigger: ".modal footer button[name=action_connect]",
            run: "click",
        },
        {
            content: "The accounts of the other bank are left out",
            trigger:
                ".modal .o_bank_sync_left_out:contains(2 authorised accounts of other banks were left out)",
        },
        {
            content: "Both KBC accounts are listed, each for a new journal",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:nth-child(2) td[name=action]:contains(Create a new bank journal)",
        },
        {
            content: "Only the two KBC accounts",
            trigger: ".modal .o_field_widget[name=line_ids] tbody:not(:has(.o_data_row:nth-child(3)))",
        },
        {
            content: "Confirm the mapping",
            trigger: ".modal footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The connection, connected, with its journals",
            trigger:
                ".o_form_view .o_field_widget[name=online_account_ids] .o_data_row td[name=journal_id]:contains(KBC-Zakenrekening)",
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
            content: "Open the online accounts",
            trigger: ".o_form_view button[name=action_view_online_accounts]",
            run: "click",
        },
        {
            content: "Open the checking account",
            trigger:
                ".o_list_view .o_data_row:contains(KBC-Zakenrekening) td[name=link_id]",
            run: "click",
        },
        {
            content: "Open its transactions in the journal",
            trigger: ".o_form_view button[name=action_view_statement_lines]",
            run: "click",
        },
        {
            content: "The imported transactions of the journal",
            trigger: ".o_breadcrumb:contains(Imported Transactions)",
        },
        {
            content: "The statement lines are there",
            trigger: ".o_list_view .o_data_row",
        },
    ],
});

/*
 * Ponto Connect: the user comes back from Ponto's authorization page to
 * /bank_sync/oauth/return (the tour starts there), lands on the account
 * wizard of the connection, and confirms.
 */
registry.category("web_tour.tours").add("account_bank_sync_connect_return_tour", {
    steps: () => [
        {
            content: "The account wizard of the authorised connection",
            trigger:
                ".modal .o_bank_sync_left_out:contains(2 authorised accounts of other banks were left out)",
        },
        {
            content: "Both KBC accounts are listed",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:nth-child(2)",
        },
        {
            content: "Confirm the mapping",
            trigger: ".modal footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The connection, connected, with its journals",
            trigger:
                ".o_form_view .o_field_widget[name=online_account_ids] .o_data_row td[name=journal_id]:contains(KBC Spaarrekening)",
        },
        {
            content: "Connected",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Connected)",
        },
    ],
});
