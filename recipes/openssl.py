"""OpenSSL 3.5 (LTS): the ssl and hashlib modules."""
from armpy.sources import DebianOrig, Upstream

VERSION = "3.5.7"
LICENSE = "Apache-2.0"
LICENSE_FILE = "LICENSE.txt"
DEPENDS = []
SHA256 = "a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8"
SOURCES = [
    Upstream("https://github.com/openssl/openssl/releases/download/openssl-3.5.7/openssl-3.5.7.tar.gz",
             sha256=SHA256, size=53153930),
    DebianOrig("openssl", "3.5.7-1~deb13u2", "openssl_3.5.7.orig.tar.gz",
               sha256=SHA256, size=53153930),
]


def build(b):
    tc = b.toolchain
    b.run(["perl", "./Configure", b.target.openssl_target,
           "no-shared", "no-tests", "no-docs", "no-apps", "no-module", "no-engine",
           "no-dso", f"--prefix={b.prefix}", "--libdir=lib",
           # Where the artifact looks for CA certificates and openssl.cnf at run time.
           f"--openssldir={b.platform.OPENSSLDIR}",
           f"CC={' '.join(tc.cc)}", f"AR={tc.ar}", f"RANLIB={tc.ranlib}",
           f"CFLAGS={' '.join(b.cflags)}"])
    # The library reports how it was built (OpenSSL_version()): the compiler and the
    # flags that shape the code, with build paths under their fixed names.
    flags = [f for f in b.cflags if not f.startswith("-ffile-prefix-map=")]
    compiler = b.portable(" ".join([*tc.cc, *flags]))
    b.run(["sh", "-c", 'perl util/mkbuildinf.pl "$1" "$2" > crypto/buildinf.h',
           "mkbuildinf", compiler, b.target.openssl_target])
    # With no-module and no-engine nothing is loaded from these; a fixed path that
    # is no build directory, like Python builds that link OpenSSL statically.
    dirs = ["ENGINESDIR=/armpy/openssl/engines-3", "MODULESDIR=/armpy/openssl/ossl-modules",
            # As given: for MinGW targets Configure takes C:/… for a relative path and
            # puts the install prefix in front of it.
            f"OPENSSLDIR={b.platform.OPENSSLDIR}"]
    b.make("build_libs", *dirs)
    b.make("install_dev", *dirs)
