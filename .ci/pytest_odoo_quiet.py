"""pytest plugin for the Odoo suite, loaded by .ci/test.sh with -p.

pytest-odoo imports odoo.tests before it turns Odoo's test mode on, and
odoo.tests.common then logs an ERROR with a stack trace ("Importing test
framework, avoid importing from business modules"). Importing it first, with
test mode on for that moment only, keeps that false alarm out of the logs.
"""

import pytest


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_cmdline_main(config):
    from odoo.tools import config as odoo_config

    saved = odoo_config["test_enable"]
    odoo_config["test_enable"] = True
    try:
        import odoo.tests  # noqa: F401
    finally:
        odoo_config["test_enable"] = saved
    yield
