"""zig's clang (the `ziglang` package from PyPI): Linux with an old glibc, and macOS.

zig links against stubs of the glibc version named in its target
(aarch64-linux-gnu.2.17), so the output runs on any aarch64 Linux with that
glibc or newer — no container, no old sysroot. For macOS (aarch64-macos.11.0)
it carries Darwin's headers and a libSystem stub, and signs what it links. It
carries its own compiler runtime, so the same package cross-compiles from any host.
"""
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile

from armpy.builder import prefix_map_flags, tree_digest
from armpy.errors import ArmpyError
from armpy.toolchain import (LLD_HOT_TEXT, LLVM_STRIP, Toolchain, can_generate,
                             check_compiles, find_program, glibc_version, host_runs_target,
                             write_wrapper)

# zig rejects __DATE__/__TIME__ by default, and without an -O level it builds in
# its debug mode with UBSan traps; a build's own later -O still wins. At -O0 or -Og
# (CPython's debug build) it instruments for UBSan, whose runtime it links only into
# what it compiles and links in one command: plain code, as other compilers make.
CC_FLAGS = ("-O2", "-Wno-error=date-time", "-fno-sanitize=undefined")
# Headers that put back what an old glibc means where zig's (current glibc's) differ
# in ABI (termios baud rates), and declare the functions of compat.c (system-call
# wrappers and explicit_bzero: glibc 2.25 to 2.34). Searched before zig's own.
HERE = os.path.dirname(os.path.abspath(__file__))
COMPAT_INCLUDE = os.path.join(HERE, "zig-glibc-compat")
# macOS headers zig does not ship (<util.h>), and link stubs of system frameworks.
DARWIN_INCLUDE = os.path.join(HERE, "zig-darwin-include")
# Windows SDK header names that differ from MinGW's only in letter case.
WINDOWS_INCLUDE = os.path.join(HERE, "zig-windows-include")
DARWIN_FRAMEWORKS = os.path.join(HERE, "zig-darwin-frameworks")
INSTALL_COMMAND = "pip install -r requirements.txt"
PROFDATA = "llvm-profdata-19"
WINDRES = "llvm-windres-19"
# zig dlltool's names of the machines of Windows targets.
DLLTOOL_MACHINES = {"aarch64": "arm64"}
# IR-level PGO, not configure's front-end -fprofile-instr-*: zig's clang (22) hashes each
# function with its newest front-end hash when instrumenting, but with the hash of the
# profile file's format version when reading it back, and llvm-profdata 19 writes an
# older format: functions such as the eval loop (computed gotos) silently lost their
# profile. IR-level profiles are matched by the same control-flow hash both ways.
# Without value profiling (as clang's front-end PGO): it would make every extension
# module call into the profile runtime, which only the interpreter links.
IR_PGO_FLAGS = ("PGO_PROF_GEN_FLAG=-fprofile-generate -mllvm -disable-vp=true",
                'PGO_PROF_USE_FLAG=-fprofile-use="$(CURDIR)/code.profclangd" '
                '-mllvm -disable-vp=true')


def zig_program():
    spec = importlib.util.find_spec("ziglang")
    if spec is None or not spec.origin:
        raise ArmpyError("zig not found: install the pinned 'ziglang' package with "
                         f"'{INSTALL_COMMAND}'")
    return os.path.join(os.path.dirname(spec.origin), "zig")


def generate(env):
    target = env["ARMPY_TARGET"]
    zig = zig_program()
    zig_target = target.zig()
    # Build systems (CMake, OpenSSL's Configure) want one program per tool, so
    # each zig sub-command gets a wrapper script in the build tree. The compilers'
    # names say "clang" because that is what they are, and CPython's configure
    # chooses its LTO and PGO flags by the compiler's name.
    folder = os.path.join(os.path.abspath(env["OPTIONS"].build_dir), "toolchains", zig_target)
    # A dry run (scons -n) names the files below and makes none of them.
    make = not env.get("ARMPY_DRY_RUN")
    parts = PLATFORM_PARTS[target.platform](target, zig, folder, make)
    # armpy's own headers, searched before zig's.
    include = parts.pop("include")
    # zig reads its library through a link in the build tree (see library_link).
    lib_link = os.path.join(os.path.dirname(folder), "zig-lib")
    names = path_names(zig, lib_link)
    cc_flags = (*CC_FLAGS, *parts.pop("cc_flags", ()))
    flags = (*cc_flags, *prefix_map_flags(names), f"-I{include}")
    # zig's cache holds the runtime objects it builds for links (runtime_without_debug_info):
    # one per build tree, so nothing of another checkout comes in.
    cache = os.path.join(os.path.dirname(folder), "zig-cache")
    run_zig = ("env", f"ZIG_GLOBAL_CACHE_DIR={cache}", f"ZIG_LIB_DIR={lib_link}", zig)
    commands = {
        "clang": (*run_zig, "cc", "-target", zig_target, *flags),
        "clang++": (*run_zig, "c++", "-target", zig_target, *flags),
        "ar": (*run_zig, "ar"),
        "ranlib": (*run_zig, "ranlib"),
    }
    tools = {name: os.path.join(folder, f"zig-{name}") for name in commands}
    cc = (tools["clang"],)
    if make:
        library_link(zig, lib_link)
        for name, command in commands.items():
            write_wrapper(tools[name], command)
        check_compiles(cc, INSTALL_COMMAND)
        runtime_without_debug_info(cc, zig, cache, zig_target, lib_link)
    finish = parts.pop("finish")
    env["TOOLCHAIN"] = Toolchain(
        name="zig", target=target, cross=not host_runs_target(target), cc=cc,
        cxx=(tools["clang++"],), ar=tools["ar"], ranlib=tools["ranlib"], version=zig_version(zig),
        wrapper_flags=flags, path_names=names,
        # zig has no strip of its own; LLVM's reads ELF and Mach-O files.
        strip=find_program(LLVM_STRIP, "llvm-19"),
        # LTO objects are LLVM bitcode of zig's own LLVM: only its ar indexes them.
        configure_vars=(f"LLVM_AR={tools['ar']}",),
        # PGO: zig ships no profile runtime; recipes/compiler_rt_profile.py builds LLVM's,
        # and llvm-profdata 19 reads the raw profiles it writes (format version 10).
        profdata=shutil.which(PROFDATA) or "",
        pgo_runtime="compiler_rt_profile",
        pgo_flags=IR_PGO_FLAGS,
        recorded={"cc": " ".join(["zig", "cc", "-target", zig_target, *cc_flags,
                                  f"-I<armpy>/toolchains/{os.path.basename(include)}"]),
                  # armpy's link additions (the compat library, the framework stubs)
                  # are part of how it links its own binaries; users' builds need none.
                  "ar": "zig ar", "ldflags": ""},
        **parts, **finish(cc, flags, tools),
    )


def linux_parts(target, zig, folder, make):
    """glibc: headers and a library that put back what the glibc floor lacks."""
    def finish(cc, flags, tools):
        # CPython links libpython3.so from libpython3.X.so alone, and zig cc cannot
        # link without an object among its inputs: that link gets an empty one.
        empty = empty_object(cc, folder, make)
        # Every link takes what it needs of compat.c (hidden, so never exported): the
        # interpreter, libpython and each extension module, so os.memfd_create,
        # os.preadv's flags, os.closerange's close_range… work wherever the running
        # kernel has the system calls. lld reads archives wherever they stand.
        return {
            "ldflags": (compat_library(cc, flags, tools["ar"], folder, make),),
            "glibc_floor": glibc_version(cc) if make else target.glibc_floor,
            "make_vars": (f"NO_AS_NEEDED=-Wl,--no-as-needed {empty}",),
            "pgo_unsupported": "" if shutil.which(PROFDATA) else
            f"{PROFDATA} not found: install it with 'apt-get install llvm-19'",
        }
    return {
        "include": COMPAT_INCLUDE, "finish": finish,
        # Users build their own extensions with the system compiler.
        "user_programs": {"cc": "cc", "cxx": "c++", "ar": "ar", "ranlib": "ranlib"},
        "interpreter_ldflags": (f"-Wl,-T,{LLD_HOT_TEXT}",),
    }


def darwin_parts(target, zig, folder, make):
    """macOS: zig's libSystem stubs and headers, plus the few it lacks (DARWIN_INCLUDE,
    DARWIN_FRAMEWORKS)."""
    def finish(cc, flags, tools):
        return {
            # zig's Mach-O linker fails on -bundle (the file it writes is empty), so
            # CPython's own modules link as dylibs, which dlopen loads all the same.
            # Make variables only: sysconfig keeps configure's -bundle for users.
            "make_vars": ("BLDSHARED=$(CC) -shared -undefined dynamic_lookup $(PY_CORE_LDFLAGS)",
                          "LDSHARED=$(CC) -shared -undefined dynamic_lookup $(PY_LDFLAGS)"),
            "pgo_unsupported": "a profile of a macOS interpreter needs a Mac to run "
                               "the training: build it there with toolchain=clang",
            # zig links Mach-O files with its own linker, which refuses LLVM bitcode.
            "lto_unsupported": "zig's Mach-O linker cannot link LTO objects (valid: noopt; "
                               "on a Mac, toolchain=clang builds lto)",
        }
    return {
        "include": DARWIN_INCLUDE, "finish": finish,
        "ldflags": (f"-F{DARWIN_FRAMEWORKS}",),
        # What Xcode's command-line tools call them on the Mac.
        "user_programs": {"cc": "clang", "cxx": "clang++", "ar": "ar", "ranlib": "ranlib"},
        "apple_sdk_version": sdk_version(zig),
        # The headers and stubs are inputs of everything built with them.
        "data_digest": tree_digest(DARWIN_INCLUDE) + tree_digest(DARWIN_FRAMEWORKS),
    }


def windows_parts(target, zig, folder, make):
    """Windows: MinGW-w64's headers and import libraries with the UCRT, which is the C
    runtime of MSVC's builds too, so both kinds of binary share one heap and one set
    of file descriptors."""
    def finish(cc, flags, tools):
        # zig has no resource compiler that takes windres' arguments (libraries' .rc
        # version resources); LLVM's does, preprocessing with MinGW's headers.
        windres = find_program(WINDRES, "llvm-19")
        mingw_headers = os.path.join(zig_lib_dir(zig), "libc", "include", "any-windows-any")
        return {
            "ldflags": (ucrt_math_library(cc, zig, target, folder, make),),
            "rc": f"{windres} --target={target.gnu_triple} -I{mingw_headers}",
            "pgo_unsupported": "not yet built for Windows (valid: noopt)",
            "lto_unsupported": "not yet built for Windows (valid: noopt)",
        }
    return {
        "include": WINDOWS_INCLUDE, "finish": finish,
        # MSVC's own accepts what CPython's Windows sources were written for:
        # Microsoft's extensions, and pointers to int and long (both 32 bits here)
        # used for one another, which it only warns about.
        "cc_flags": ("-fms-extensions", "-Wno-error=incompatible-pointer-types"),
        "user_programs": {"cc": "cl", "cxx": "cl", "ar": "lib", "ranlib": ""},
        "data_digest": tree_digest(WINDOWS_INCLUDE),
    }


PLATFORM_PARTS = {"linux": linux_parts, "darwin": darwin_parts, "windows": windows_parts}


def sdk_version(zig):
    """The macOS SDK version of zig's Darwin headers and libSystem stub."""
    path = os.path.join(os.path.dirname(zig), "lib", "libc", "darwin", "SDKSettings.json")
    try:
        with open(path) as f:
            return json.load(f)["Version"]
    except (OSError, ValueError, KeyError) as error:
        raise ArmpyError(f"{path}: cannot read zig's macOS SDK version ({error})") from None


def ucrt_math_library(cc, zig, target, folder, make):
    """The import library of the UCRT's math functions, for every Windows link.

    zig's own runtime (compiler_rt) defines sin, cos, exp, log, log2, fmod… weakly and
    comes before the UCRT's import libraries in zig's links, so its copies were linked
    where MSVC's builds call the UCRT's, and they are less exact (log2 of a subnormal
    number was 2.7 million ulps off). Named among a link's inputs, this library comes
    first and the UCRT's functions are imported. It is made as zig makes the one it
    links: MinGW-w64's definition file, preprocessed for the target's machine (which
    keeps MinGW's choices, such as its own lgamma for signgam), through zig's dlltool.
    """
    mingw = os.path.join(zig_lib_dir(zig), "libc", "mingw")
    arch = target.zig_target.split("-", 1)[0]
    library = os.path.join(folder, "ucrt-math.lib")
    if make and not os.path.exists(library):
        definitions = subprocess.run(
            [*cc, "-E", "-P", "-undef", "-x", "c", f"-D__{arch}__",
             f"-I{os.path.join(mingw, 'def-include')}",
             os.path.join(mingw, "lib-common", "api-ms-win-crt-math-l1-1-0.def.in")],
            check=True, capture_output=True, text=True).stdout
        with open(library + ".def", "w") as f:
            f.write(definitions)
        subprocess.run([zig, "dlltool", "-m", DLLTOOL_MACHINES[arch], "-d",
                        library + ".def", "-l", library + ".tmp"], check=True,
                       capture_output=True)
        os.replace(library + ".tmp", library)
    return library


def empty_object(cc, folder, make):
    path = os.path.join(folder, "empty.o")
    if make and not os.path.exists(path):
        subprocess.run([*cc, "-c", "-x", "c", "-", "-o", path + ".tmp"], input="",
                       text=True, check=True, capture_output=True, cwd=HERE)
        os.replace(path + ".tmp", path)
    return path


def compat_library(cc, cc_flags, ar, folder, make):
    """compat.c as a static library, named by the content of the compat folder (its
    headers included) and the wrappers' flags: a change makes a new name, which is part
    of the toolchain's key in SConstruct, and so rebuilds everything built with it."""
    source = os.path.join(COMPAT_INCLUDE, "compat.c")
    name = hashlib.sha256((tree_digest(COMPAT_INCLUDE) + repr(cc_flags)).encode()).hexdigest()
    library = os.path.join(folder, f"libarmpy-glibc-compat-{name[:12]}.a")
    if make and not os.path.exists(library):
        obj = library[:-2] + ".o"
        # Run where its debug information names only mapped paths (path_names).
        subprocess.run([*cc, "-O2", "-fPIC", "-c", source, "-o", obj], check=True,
                       capture_output=True, cwd=HERE)
        subprocess.run([ar, "rcs", library + ".tmp", obj], check=True, capture_output=True)
        os.replace(library + ".tmp", library)
    return library


LLVM_BITCODE = b"BC\xc0\xde"


def library_link(zig, link):
    """`link`, in the build tree, to zig's library, which zig then reads by that path
    (ZIG_LIB_DIR). The runtime objects zig compiles with LTO stay LLVM bitcode that
    cannot be stripped (runtime_without_debug_info), and clang names their sources
    relative to the folder they share with the link's working folder: /armpy/build
    plus toolchains/zig-lib/… for every link in a build tree. Through the
    installation's own path, that was the checkout when the venv lived in it, and
    nothing otherwise, so the bytes depended on where the venv was."""
    target = zig_lib_dir(zig)
    if os.path.islink(link) and os.readlink(link) == target:
        return
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(target, link + ".tmp")
    os.replace(link + ".tmp", link)


def runtime_without_debug_info(cc, zig, cache, zig_target, lib_link):
    """zig compiles the C runtime it links in (crt1.o, libc_nonshared.a, compiler_rt)
    itself, into its cache, at the first link that needs it, without our
    -ffile-prefix-map: its debug information would name zig's installation and the
    folder of that link. A program and a library are linked here before anything
    of ours, and the runtime objects lose their debug information (as Debian's crt
    files carry none); later links take them from the cache as they are.

    zig's cache knows its sources by their file status, so another installation of
    the same zig (a venv made again, another checkout) compiles them all again:
    the stamp names the installation whose objects were stripped last."""
    lib = zig_lib_dir(zig)
    status = os.stat(lib)
    installation = f"{lib} {status.st_ino} {status.st_mtime_ns} as {lib_link}\n"
    stamp = os.path.join(cache, f"armpy-runtime-without-debug-info-{zig_target}")
    if os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == installation:
                return
        # Another installation, or objects that name it otherwise: zig's cache starts
        # empty (every target's stamp with it), so that none of them is linked.
        shutil.rmtree(cache)
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "probe.c")
        with open(source, "w") as f:
            f.write("int probe(void) { return 0; }\nint main(void) { return probe(); }\n")
        for kind in ((), ("-shared",)):
            subprocess.run([*cc, *kind, source, "-o", os.path.join(folder, "probe.out")],
                           check=True, capture_output=True, cwd=folder)
    raw_libs = (lib.encode(), lib_link.encode())
    strip = find_program(LLVM_STRIP, "llvm-19")
    for path in glob.glob(os.path.join(cache, "o", "*", "*")):
        if path.endswith((".o", ".a")):
            with open(path, "rb") as f:
                data = f.read()
            # LLVM bitcode (an LTO link's) is zig's LLVM's: the Linux platform gives
            # its paths their names after linking.
            if any(raw in data for raw in raw_libs) and LLVM_BITCODE not in data:
                subprocess.run([strip, "--strip-debug", path], check=True, capture_output=True)
    with open(stamp, "w") as f:
        f.write(installation)


def zig_lib_dir(zig):
    """zig's library: its libc headers and the sources of its runtime."""
    return os.path.join(os.path.dirname(os.path.realpath(zig)), "lib")


def path_names(zig, lib_link):
    """zig's library (by both its paths) and armpy's toolchain files, with the fixed
    names debug information and __FILE__ give them instead."""
    return {zig_lib_dir(zig): "/armpy/zig/lib", lib_link: "/armpy/zig/lib",
            HERE: "/armpy/toolchains"}


def zig_version(zig):
    out = subprocess.run([zig, "version"], capture_output=True, text=True)
    if out.returncode != 0:
        raise ArmpyError(f"{zig} does not run: {out.stderr.strip()[:200]}")
    return f"zig {out.stdout.strip()}"


def exists(env):
    return can_generate(generate, env)
