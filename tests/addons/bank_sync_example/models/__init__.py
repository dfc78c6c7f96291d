from . import bank_sync_provider_example
