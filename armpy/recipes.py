"""Loading recipes (recipes/<component>.py) and ordering them by dependency."""
import importlib.util
import os

from .errors import ArmpyError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPE_DIR = os.path.join(ROOT, "recipes")
PATCH_DIR = os.path.join(ROOT, "patches")
REQUIRED = ("VERSION", "LICENSE", "LICENSE_FILE", "DEPENDS", "SOURCES")


def load(name):
    path = os.path.join(RECIPE_DIR, f"{name}.py")
    if not os.path.exists(path):
        raise ArmpyError(f"no recipe '{name}' (valid: {', '.join(names())})")
    spec = importlib.util.spec_from_file_location(f"armpy_recipe_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.NAME = name
    missing = [field for field in REQUIRED if not hasattr(module, field)]
    if missing:
        raise ArmpyError(f"recipe {name} lacks {', '.join(missing)}")
    return module


def names():
    return sorted(f[:-3] for f in os.listdir(RECIPE_DIR)
                  if f.endswith(".py") and not f.startswith("_"))


def dependency_names(platform=None):
    """Every component except CPython itself and build tools, dependencies first;
    with `platform`, those its builds use (a recipe's PLATFORMS, if it names them)."""
    recipes = {n: load(n) for n in names() if n != "cpython"}
    recipes = {n: r for n, r in recipes.items() if not getattr(r, "TOOL", False)
               and (platform is None or platform in getattr(r, "PLATFORMS", (platform,)))}
    ordered, seen = [], set()

    def visit(name, chain):
        if name in chain:
            raise ArmpyError(f"dependency cycle: {' -> '.join(chain + [name])}")
        if name in seen:
            return
        for dep in recipes[name].DEPENDS:
            visit(dep, chain + [name])
        seen.add(name)
        ordered.append(name)

    for name in recipes:
        visit(name, [])
    return ordered


def patches(name, version=None):
    """Patch files for a component, in name order; a `when` header can limit versions."""
    folder = os.path.join(PATCH_DIR, name)
    if not os.path.isdir(folder):
        return []
    found = []
    for entry in sorted(os.listdir(folder)):
        if entry.endswith(".patch"):
            path = os.path.join(folder, entry)
            if version is None or applies_to(path, version):
                found.append(path)
    return found


def applies_to(path, version):
    """A patch header line `Versions: 3.13` limits it to versions with that prefix."""
    with open(path) as f:
        for line in f:
            if line.startswith("Versions:"):
                prefixes = line.split(":", 1)[1].split()
                return any(version == p or version.startswith(p + ".") for p in prefixes)
            if line.startswith("---") or line.startswith("diff "):
                break
    return True


def cpython_version(python):
    """(the cpython recipe, its entry for the exact version `python`)."""
    recipe = load("cpython")
    for entry in recipe.VERSIONS.values():
        if entry.version == python:
            return recipe, entry
    raise ArmpyError(f"no CPython {python} in recipes/cpython.py")
