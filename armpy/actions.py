"""SCons actions: thin adapters from SCons' (target, source, env) to engine functions.

An ArmpyError becomes one line on stderr and a failed step; nothing else of
SCons leaks into the engine modules.
"""
import json
import os
import shutil
import sys

from . import builder, cpython, introspect, manifest, package, relocate, smoke
from .errors import ArmpyError


def step(function):
    """Wrap an engine function as an SCons action that reports ArmpyError in one line."""
    def action(target, source, env):
        try:
            function(target, source, env)
        except ArmpyError as error:
            sys.stderr.write(f"armpy: error: {error}\n")
            return 1
        except OSError as error:
            sys.stderr.write(f"armpy: error: {error.filename or ''}: {error.strerror}\n")
            return 1
        return 0
    action.__name__ = function.__name__
    return action


def describe(label):
    return lambda target, source, env: f"armpy: {label} -> {os.path.relpath(str(target[0]))}"


@step
def build_dependency(target, source, env):
    name = env["COMPONENT"]
    builder.build_component(
        name, env["TOOLCHAIN"], workdir=env["WORKDIR"],
        prefix=os.path.dirname(target[0].abspath), dep_prefixes=env["DEP_PREFIXES"],
        cache_dir=env["OPTIONS"].cache_dir, jobs=env["OPTIONS"].jobs)


@step
def build_host_python(target, source, env):
    opts = env["OPTIONS"]
    cpython.build_host_python(opts.python, workdir=env["WORKDIR"],
                              prefix=os.path.dirname(target[0].abspath),
                              cache_dir=opts.cache_dir, jobs=opts.jobs)


@step
def build_cpython(target, source, env):
    """Build and install CPython, then make the tree relocatable."""
    opts = env["OPTIONS"]
    stage = env["STAGE"]
    metadata = cpython.build_target_python(
        opts, env["TOOLCHAIN"], host_python=env["HOST_PYTHON"],
        dep_prefixes=env["DEP_PREFIXES"], workdir=env["WORKDIR"], stage=stage)
    install = os.path.join(stage, "install")
    relocate.make_relocatable(install, env["TOOLCHAIN"], build_paths=env["BUILD_PATHS"])
    builder.write_json(target[0].abspath, metadata)


@step
def package_and_test(target, source, env):
    """PYTHON.json, both archives, smoke test; publish to dist/ only if all pass."""
    opts, toolchain = env["OPTIONS"], env["TOOLCHAIN"]
    install = os.path.join(env["STAGE"], "install")
    out_dir = env["OUT_DIR"]
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)

    version = relocate.python_version_of(install)
    facts = introspect.probe(os.path.join(install, "bin", f"python{version}"), toolchain.runner())
    components = [read_json(os.path.join(p, "component.json"))
                  for p in env["DEP_PREFIXES"].values()]
    cpython_meta = read_json(env["CPYTHON_META"])
    document = manifest.build(facts=facts, install=install, opts=opts, toolchain=toolchain,
                              components=components, cpython_meta=cpython_meta)
    manifest.validate(document)
    manifest_path = os.path.join(out_dir, "PYTHON.json")
    with open(manifest_path, "w") as f:
        f.write(manifest.dumps(document))

    licenses = os.path.join(out_dir, "licenses")
    os.makedirs(licenses)
    shutil.copyfile(os.path.join(install, "lib", f"python{version}", "LICENSE.txt"),
                    os.path.join(licenses, "LICENSE.cpython.txt"))
    for name, prefix in env["DEP_PREFIXES"].items():
        shutil.copyfile(os.path.join(prefix, "LICENSE.txt"),
                        os.path.join(licenses, f"LICENSE.{name}.txt"))

    names = package.artifact_names(opts)
    built = {kind: os.path.join(out_dir, names[kind]) for kind in ("full", "install_only")}
    package.write_full(built["full"], manifest_path, install, licenses)
    package.write_install_only(built["install_only"], install, licenses)

    result = smoke.run(built["install_only"], document, workdir=out_dir)
    result["runner"] = "native" if not toolchain.cross else "qemu-user (binfmt_misc)"
    smoke_path = os.path.join(out_dir, "smoke.json")
    builder.write_json(smoke_path, result)

    # Publish: each file appears in dist/ complete or not at all.
    os.makedirs(opts.dist_dir, exist_ok=True)
    published = [(built["full"], str(target[0])), (built["install_only"], str(target[1])),
                 (smoke_path, str(target[2]))]
    for src, dest in published:
        tmp = dest + ".tmp"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    package.write_sha256sums(opts.dist_dir)
    print(f"armpy: published {names['full']} and {names['install_only']} "
          f"({len(result['passed'])} smoke checks passed)")


def read_json(path):
    with open(path) as f:
        return json.load(f)
