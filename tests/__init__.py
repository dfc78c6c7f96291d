from . import test_clients_import, test_http, test_install
