from . import bank_sync_connect_wizard
from . import bank_sync_account_wizard
from . import bank_sync_account_wizard_line
from . import bank_sync_account_wizard_checks
from . import bank_sync_find_missing
from . import bank_sync_find_duplicates
