"""Rules of the house that a reader relies on, checked on the source itself:

- a method name of the addon is defined in one file only (no file silently
  overriding another one's method). The one exception is the provider seam:
  a provider's files (``*_<code>.py``, the ones adding ``<code>`` to the
  provider ``code`` selection) override the hooks the core defines, and each
  override is guarded by its code (``if self.code != "<code>": return
  super()...``) or, for an ``@api.model`` hook, extends ``super()``'s answer;
- the ORM's own methods (``write``, ``_compute_display_name``...) may be
  overridden once per model;
- no addon file is too long to read in one sitting; no import circle between
  the addon's modules.
"""

import ast
import pathlib
import re
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


#: methods of Odoo's ORM an addon overrides per model
ORM_METHODS = frozenset(
    {"create", "write", "unlink", "copy", "default_get", "init"}
    | {"_compute_display_name", "get_views", "fields_get"}
)
SELECTION_ADD = re.compile(r"selection_add=\[\(\"(\w+)\"")


def _addon_files():
    for folder in ADDON_DIRS:
        yield from sorted((ROOT / folder).glob("*.py"))


def _provider_code(path):
    """The provider code whose file ``path`` is, or None (core file)."""
    text = path.read_text(encoding="utf-8")
    for code in SELECTION_ADD.findall(text):
        if path.stem.endswith(f"_{code}"):
            return code
    return None


def _definitions():
    """``{(model, method): {file: FunctionDef}}`` over the addon's files."""
    found = defaultdict(dict)
    for path in _addon_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            model = _model_of(cls) or f"{path.name}:{cls.name}"
            for node in cls.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[model, node.name][path] = node
    return found


def _guarded(node, code):
    """An override of the seam: first statement ``if self.code != "<code>":
    return super()...``, or an ``@api.model`` hook extending ``super()``."""
    first = node.body[1] if ast.get_docstring(node) else node.body[0]
    source = ast.unparse(first)
    if isinstance(first, ast.If) and f".code != '{code}'" in ast.unparse(first.test):
        return "super()" in source
    model_hook = any("api.model" in ast.unparse(d) for d in node.decorator_list)
    return model_hook and "super()" in ast.unparse(node)


def test_a_method_is_defined_in_one_file():
    twice, unguarded = {}, []
    for (model, method), where in _definitions().items():
        core = [path for path in where if not _provider_code(path)]
        if len(core) > 1:
            twice[f"{model}.{method}"] = sorted(str(p.relative_to(ROOT)) for p in core)
        for path, node in where.items():
            code = _provider_code(path)
            if code and len(where) > 1 and not _guarded(node, code):
                unguarded.append(f"{path.relative_to(ROOT)}: {method}")
    assert not twice, f"defined in several files: {twice}"
    assert not unguarded, f"provider overrides without their code guard: {unguarded}"


def test_a_method_name_belongs_to_one_model():
    models = defaultdict(set)
    for model, method in _definitions():
        if method not in ORM_METHODS:
            models[method].add(model)
    shared = {name: sorted(found) for name, found in models.items() if len(found) > 1}
    assert not shared, f"one method name on several models: {shared}"


def test_the_seam_is_seen():
    found = _definitions()
    hooks = found["bank.sync.provider", "_get_client_class"]
    assert {_provider_code(path) for path in hooks} == {None, *PROVIDERS}


def test_no_import_circle():
    """Between the addon's own Python modules (relative imports)."""
    graph = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0].startswith(".") or rel.parts[0] in ("tests_standalone",):
            continue
        package = rel.parent
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.parent
                module = (
                    base.joinpath(*(node.module or "").split("."))
                    if node.module
                    else base
                )
                for alias in node.names if not node.module else [None]:
                    target = module / alias.name if alias else module
                    for candidate in (
                        target.with_suffix(".py"),
                        target / "__init__.py",
                    ):
                        if (ROOT / candidate).exists():
                            targets.add(candidate)
        graph[rel] = targets
    state = {}

    def visit(node, trail):
        if state.get(node) == "done":
            return None
        if state.get(node) == "open":
            return [*trail[trail.index(node) :], node]
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if target.name == "__init__.py" and target.parent in node.parents:
                continue  # a package's own __init__ imports its modules
            circle = visit(target, [*trail, node])
            if circle:
                return circle
        state[node] = "done"
        return None

    for node in sorted(graph):
        circle = visit(node, [])
        assert not circle, "import circle: " + " -> ".join(map(str, circle))


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


#: where a provider may be named: its own files (and its tests)
PROVIDERS = ("ponto", "saltedge")
_CODES = "|".join(PROVIDERS)
PROVIDER_FILES = re.compile(
    rf"^(clients/({_CODES})\w*\.py|simulators/({_CODES})/.*|models/\w+_({_CODES})\.py"
    rf"|controllers/({_CODES})\.py|views/\w+_({_CODES})_views\.xml"
    r"|static/src/tours/.*)$"
)
#: the lines of core files that may name one: registering its files
REGISTRATIONS = re.compile(
    rf'^(from \. import (\w+_)?({_CODES})|\s*"views/\w+_({_CODES})_views\.xml",'
    r'|\s*"(name|summary)": ".*",)$'
)
CORE_SUFFIXES = (".py", ".xml", ".csv", ".js")


def _code_lines(path):
    """The lines of ``path`` that are code: no comment, no docstring."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if path.suffix == ".xml":
        text = re.sub(
            r"<!--.*?-->", lambda m: "\n" * m.group().count("\n"), text, flags=re.S
        )
        return list(enumerate(text.splitlines(), 1))
    if path.suffix != ".py":
        return list(enumerate(lines, 1))
    skip = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                skip.update(range(value.lineno, value.end_lineno + 1))
    return [
        (number, line.split("#", 1)[0] if "#" in line and '"' not in line else line)
        for number, line in enumerate(lines, 1)
        if number not in skip and not line.lstrip().startswith("#")
    ]


def test_the_core_names_no_provider():
    """Outside a provider's own files, its code appears only in documentation
    (docstrings, comments), translations and the lines registering its
    files; the ``code`` selection value lives in its provider file."""
    found = []
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        top = rel.split("/", 1)[0]
        if (
            path.suffix not in CORE_SUFFIXES
            or top.startswith(".")
            or top.startswith("tests")
            or top in ("bench", "demo", "i18n", "simulators")
            or "__pycache__" in rel
            or PROVIDER_FILES.match(rel)
        ):
            continue
        for number, line in _code_lines(path):
            named = [code for code in PROVIDERS if code in line.lower()]
            if named and not REGISTRATIONS.match(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "the core names a provider:\n" + "\n".join(found)
