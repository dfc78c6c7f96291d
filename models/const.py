"""Constants shared by the models, the wizards and the controller: routes,
record references and settings keys (the connection states and their groups
live with the state machine, ``bank_sync_link_state.py``)."""

#: where the provider sends the user back after Connect (an authorization)
OAUTH_RETURN_PATH = "/bank_sync/oauth/return"
#: where the provider sends the user back after a step of Renew
REAUTHORIZE_RETURN_PATH = "/bank_sync/reauthorize/return"
#: a connection's form, and the list of connections
CONNECTION_URL = "/odoo/action-account_bank_sync.action_bank_sync_link/%s"
CONNECTIONS_URL = "/odoo/action-account_bank_sync.action_bank_sync_link"
#: the account wizard, opened on the wizard record after Connect's return
ACCOUNT_WIZARD_URL = "/odoo/action-account_bank_sync.action_bank_sync_account_wizard"

IMPORT_CRON = "account_bank_sync.ir_cron_bank_sync_import_transactions"

#: Accounting > Settings (res_config_settings.py)
REMINDER_DAYS_PARAM = "account_bank_sync.reminder_days"
DEFAULT_REMINDER_DAYS = "15,3,1"
SYNC_INTERVAL_PARAM = "account_bank_sync.sync_interval_hours"
DEFAULT_SYNC_INTERVAL = 4
#: technical system parameters
BUDGET_PARAM = "account_bank_sync.cron_time_budget"
#: seconds between two polls of a provider-side refresh (a simulator answers
#: within a few polls: its tests and demo set it lower)
POLL_INTERVAL_PARAM = "account_bank_sync.sync_poll_interval"
DEFAULT_POLL_INTERVAL = 2.0

#: the consent length of a provider that gives no expiry date and no length
DEFAULT_CONSENT_DAYS = 180
