"""Derive `deb-src` entries from the machine's own apt sources.

Debian's source archive carries the upstream tarballs of most components, which
lets air-gapped build farms (and machines that cannot reach upstream hosts)
obtain the exact pinned files. We never name a host here: the mirror is taken
from whatever the machine already uses for binary packages.
"""
import glob
import re
import sys

SOURCES_GLOB = "/etc/apt/sources.list.d/*.sources"
LEGACY_LIST = "/etc/apt/sources.list"
OUTPUT = "/etc/apt/sources.list.d/armpy-deb-src.sources"
# Newer upstream versions live in testing and unstable.
EXTRA_SUITES = ["trixie", "sid"]


def parse_deb822(text):
    """Yield stanzas of a deb822 file as dicts (comments dropped)."""
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
        if fields:
            yield fields


def parse_legacy(text):
    """Yield stanzas equivalent to one-line `deb URI suite comp…` entries."""
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 4 and parts[0] == "deb":
            options = ""
            if parts[1].startswith("["):
                options = parts.pop(1)
            fields = {"Types": "deb", "URIs": parts[1], "Suites": parts[2],
                      "Components": " ".join(parts[3:])}
            signed = re.search(r"signed-by=([^\s\]]+)", options)
            if signed:
                fields["Signed-By"] = signed.group(1)
            yield fields


def derive(stanzas):
    """Return deb-src stanzas for the main Debian archive of the given entries."""
    out = []
    for fields in stanzas:
        if "deb" not in fields.get("Types", "").split():
            continue
        suites = fields.get("Suites", "").split()
        # Security and -updates suites carry no newer upstream tarballs.
        base = [s for s in suites if "-" not in s]
        if not base:
            continue
        entry = {"Types": "deb-src", "URIs": fields["URIs"],
                 "Suites": " ".join(dict.fromkeys(base + EXTRA_SUITES)),
                 "Components": fields.get("Components", "main")}
        if "Signed-By" in fields:
            entry["Signed-By"] = fields["Signed-By"]
        out.append(entry)
    return out


def render(stanzas):
    return "\n".join("".join(f"{k}: {v}\n" for k, v in s.items()) for s in stanzas)


def machine_stanzas():
    """The machine's own apt entries (not the one this module writes)."""
    stanzas = []
    for path in sorted(glob.glob(SOURCES_GLOB)):
        if path != OUTPUT:
            with open(path) as f:
                stanzas.extend(parse_deb822(f.read()))
    try:
        with open(LEGACY_LIST) as f:
            stanzas.extend(parse_legacy(f.read()))
    except FileNotFoundError:
        pass
    return stanzas


def main():
    derived = derive(machine_stanzas())
    if not derived:
        sys.exit("armpy: no Debian 'deb' entry found in /etc/apt to derive deb-src from")
    with open(OUTPUT, "w") as f:
        f.write(render(derived))
    print(f"armpy: wrote {OUTPUT}")


if __name__ == "__main__":
    main()
