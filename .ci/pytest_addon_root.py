"""pytest plugin of the Odoo-free suite (loaded through pyproject.toml).

The repository root is the Odoo addon: its __init__.py imports the models,
which import only inside a running Odoo, as odoo.addons.account_bank_sync.
pytest collects a directory holding an __init__.py as a Package and imports
that __init__.py before its tests; the root is collected as a plain directory
instead, so the Odoo-free tests never import the addon. (A conftest.py at the
root cannot do this: importing it imports the root package first.)
"""

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path, parent):
    if (path / "__manifest__.py").is_file():
        return pytest.Dir.from_parent(parent, path=path)
    return None
