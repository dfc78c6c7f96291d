"""Rules of the house that a reader relies on, checked on the source itself:
one method of a model is defined in one file only (no file silently
overriding another one's method), and no addon file is too long to read in
one sitting."""

import ast
import pathlib
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDON_DIRS = ("models", "wizards", "controllers")
#: "a file you would not read in one sitting is too long (~400 lines)"
MAX_LINES = 420
LENGTH_DIRS = ("clients", "controllers", "models", "simulators", "wizards")


def _model_of(cls):
    """The Odoo model a class defines or extends (``_name`` else ``_inherit``
    when it is one model), or None."""
    values = {}
    for node in cls.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("_name", "_inherit"):
                values[target.id] = node.value
    for key in ("_name", "_inherit"):
        value = values.get(key)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


def _definitions():
    """``{(model, method): {file, ...}}`` over the addon's Python files."""
    found = defaultdict(set)
    for folder in ADDON_DIRS:
        for path in sorted((ROOT / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
                model = _model_of(cls) or f"{path.name}:{cls.name}"
                for node in cls.body:
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                        found[model, node.name].add(str(path.relative_to(ROOT)))
    return found


def test_a_method_of_a_model_is_defined_in_one_file():
    twice = {
        f"{model}.{method}": sorted(files)
        for (model, method), files in _definitions().items()
        if len(files) > 1
    }
    assert not twice, f"defined in several files: {twice}"


def test_the_check_sees_the_models():
    found = _definitions()
    assert ("bank.sync.link", "_set_state") in found
    assert ("bank.sync.account", "_import_transactions") in found


def test_no_file_too_long_to_read():
    long = {
        str(path.relative_to(ROOT)): count
        for folder in LENGTH_DIRS
        for path in (ROOT / folder).rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"files over {MAX_LINES} lines: {long}"
