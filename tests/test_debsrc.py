"""Deriving deb-src entries from the machine's apt configuration."""
from armpy import debsrc

DEB822 = """Types: deb
# comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_deb822_entries_become_deb_src_with_newer_suites():
    derived = debsrc.derive(debsrc.parse_deb822(DEB822))
    assert derived == [{
        "Types": "deb-src", "URIs": "http://mirror.example/debian",
        "Suites": "bookworm trixie sid", "Components": "main",
        "Signed-By": "/usr/share/keyrings/debian-archive-keyring.gpg"}]
    assert debsrc.render(derived).startswith("Types: deb-src\nURIs: http://mirror.example/debian\n")


def test_legacy_one_line_entries():
    text = "deb [signed-by=/k.gpg] http://mirror.example/ubuntu noble main universe\n# deb x y z\n"
    derived = debsrc.derive(debsrc.parse_legacy(text))
    assert derived[0]["URIs"] == "http://mirror.example/ubuntu"
    assert derived[0]["Suites"].split()[0] == "noble"
    assert derived[0]["Signed-By"] == "/k.gpg"
