from . import (
    test_account_wizard,
    test_clients_import,
    test_connect,
    test_cron,
    test_engine,
    test_engine_errors,
    test_http,
    test_install,
    test_provider,
    test_security,
    test_tour,
)
