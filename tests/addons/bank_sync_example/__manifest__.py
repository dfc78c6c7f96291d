{
    "name": "Bank Synchronization: Example Provider (tests only)",
    "summary": "A provider added by adding files: proves the seam of account_bank_sync",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://github.com/account-bank-sync/account_bank_sync",
    "author": "account_bank_sync contributors",
    "license": "LGPL-3",
    "depends": ["account_bank_sync"],
    "data": [],
    "installable": True,
    "application": False,
}
