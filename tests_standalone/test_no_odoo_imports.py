"""Nothing under clients/ or simulators/ may import Odoo: they run in CI without
Odoo, in the demo simulator process, and are the provider seam of DESIGN.md."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("clients", "simulators")


def _odoo_imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        else:
            continue
        yield from (n for n in names if n == "odoo" or n.startswith("odoo."))


def test_no_odoo_import_statement():
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    assert len(files) > 5
    offenders = {str(p.relative_to(ROOT)): list(_odoo_imports(p)) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_packages_import_with_odoo_blocked():
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if p.name != "__main__.py"
    )
    script = (
        "import sys, importlib\n"
        "sys.modules['odoo'] = None  # any 'import odoo' now raises ImportError\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('ok', len(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
