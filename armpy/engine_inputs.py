"""The engine files a build step uses: the modules it names and, transitively,
every armpy module they import (plus scripts they run, such as smoke_checks.py),
so that changing any of them rebuilds exactly the steps that use it."""
import ast
import os

PACKAGE = os.path.dirname(os.path.abspath(__file__))
# Files a module runs rather than imports.
RUNS = {"smoke": ["smoke_checks"]}
# Packages that choose one of their modules at run time: every module is an input.
CHOOSES_AT_RUN_TIME = ("platforms",)


def engine_files(*modules, facts_of=()):
    """Sorted paths of `modules` ("cpython", "validate", …) and all they use.

    `facts_of` names packages the step reads only a few values of, which the
    step declares as inputs itself: their files are left out.
    """
    seen, pending = set(), list(modules)
    while pending:
        name = pending.pop()
        path = module_path(name)
        if path is None or path in seen or name.split(".")[0] in facts_of:
            continue
        seen.add(path)
        pending += imported_modules(name, path) + RUNS.get(name, [])
        if name in CHOOSES_AT_RUN_TIME:
            pending += package_modules(name)
        if "." in name:     # importing a.b runs a/__init__.py first
            pending.append(name.rsplit(".", 1)[0])
    return sorted(seen)


def package_modules(name):
    folder = os.path.join(PACKAGE, *name.split("."))
    return [f"{name}.{entry[:-3]}" for entry in sorted(os.listdir(folder))
            if entry.endswith(".py") and entry != "__init__.py"]


def module_path(name):
    """armpy/<name>.py or armpy/<name>/__init__.py; None if neither exists."""
    base = os.path.join(PACKAGE, *name.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def imported_modules(name, path):
    """Dotted names (relative to armpy) of the modules `path` imports relatively."""
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        parts = package.split(".") if package else []
        parts = parts[:len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
        if base:
            found.append(base)
        # `from . import x` and `from .pkg import sub` may name modules themselves.
        found += [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
    return [m for m in found if module_path(m)]
