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
    b.make("build_libs")
    b.make("install_dev")
