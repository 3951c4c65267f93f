"""The software bill of materials of a build, as an SPDX 2.3 JSON document.

It names CPython and every component built into the distribution: version, SPDX
licence, the exact source file with its sha256 and where it came from, and each
patch applied (a file of its own, PATCH_APPLIED to the component); what CPython
vendors itself, from its own Misc/sbom.spdx.json, where the build uses CPython's copy
rather than armpy's component of the same name; pip, from CPython's bundled wheel; and
the compiler as the build tool. A document for a published archive also describes the
archive file and its sha256. Everything in it comes from the build's inputs, never
the clock, so two builds of the same inputs write the same bytes.
"""
import hashlib
import json
import os
import re
import tarfile

from . import recipes, sources
from .errors import ArmpyError
from .recipes import ROOT

CREATED = "2024-01-01T00:00:00Z"     # archives.FIXED_MTIME: the build's fixed time
NAMESPACE = "https://spdx.org/spdxdocs/armpy/"
CPYTHON_SBOM = "Misc/sbom.spdx.json"


def spdx_id(kind, name):
    return f"SPDXRef-{kind}-" + re.sub(r"[^A-Za-z0-9.-]", "-", name)


def document(manifest, install, cache_dir, archive=None):
    """The SBOM of a build described by `manifest` (its PYTHON.json) whose install tree
    is `install`; `archive` (name, sha256) adds the published file it is for."""
    components = manifest["armpy"]["components"]
    cpython = next(c for c in components if c["name"] == "cpython")
    name = archive[0] if archive else f"cpython-{cpython['version']}-{manifest['target_triple']}"
    packages, files, relationships, licence_refs = [], [], [], {}
    root = spdx_id("PACKAGE", "cpython")
    if archive:
        packages.append({
            "SPDXID": "SPDXRef-ARCHIVE", "name": archive[0], "packageFileName": archive[0],
            "versionInfo": f"{cpython['version']}+{manifest['armpy']['build_tag']}",
            "checksums": [{"algorithm": "SHA256", "checksumValue": archive[1]}],
            "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION", "primaryPackagePurpose": "ARCHIVE",
            "supplier": "Organization: armpy"})
        relationships.append(relation("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-ARCHIVE"))
        relationships.append(relation("SPDXRef-ARCHIVE", "CONTAINS", root))
    else:
        relationships.append(relation("SPDXRef-DOCUMENT", "DESCRIBES", root))
    for component in components:
        package = component_package(component, cache_dir, licence_refs)
        packages.append(package)
        if package["SPDXID"] != root:
            relationships.append(relation(root, "STATIC_LINK", package["SPDXID"]))
        for patch in component["source"]["patches"]:
            files.append(patch_file(patch))
            relationships.append(relation(spdx_id("FILE", patch), "PATCH_APPLIED",
                                          package["SPDXID"]))
    own = {c["name"] for c in components}
    for package in vendored_by_cpython(cpython, cache_dir):
        if package["name"] not in own:
            packages.append(package)
            relationships.append(relation(root, "CONTAINS", package["SPDXID"]))
    pip = pip_package(install)
    if pip:
        packages.append(pip)
        relationships.append(relation(root, "CONTAINS", pip["SPDXID"]))
    toolchain = manifest["armpy"]["toolchain"]
    packages.append({
        "SPDXID": spdx_id("PACKAGE", f"toolchain-{toolchain['name']}"),
        "name": toolchain["name"], "versionInfo": toolchain["version"],
        "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION", "primaryPackagePurpose": "APPLICATION",
        "comment": f"compiler command: {toolchain['cc']}"})
    relationships.append(relation(packages[-1]["SPDXID"], "BUILD_TOOL_OF", root))
    doc = {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": NAMESPACE + name + "-" + identity(packages, archive),
        "creationInfo": {"created": CREATED, "creators": ["Tool: armpy"]},
        "packages": packages, "files": files, "relationships": relationships,
    }
    if licence_refs:
        doc["hasExtractedLicensingInfos"] = [
            {"licenseId": ref, "name": ref.removeprefix("LicenseRef-"), "extractedText": text}
            for ref, text in sorted(licence_refs.items())]
    return doc


def relation(element, kind, related):
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


def identity(packages, archive):
    """A digest of what the document describes: its namespace is unique per content."""
    described = archive[1] if archive else json.dumps(packages, sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def component_package(component, cache_dir, licence_refs):
    """An armpy component (or CPython) as the SPDX package of its source file."""
    recipe = recipes.load(component["name"])
    source = component["source"]
    upstream = [p for p in all_sources(recipe, component["version"])
                if isinstance(p, sources.Upstream)]
    # Where the exact file used can be fetched: upstream's URL when it has the same
    # bytes (a Debian orig that repacks upstream's release does not).
    location = next((p.url for p in upstream if p.sha256 == source["sha256"]), "NOASSERTION")
    for ref in re.findall(r"LicenseRef-[A-Za-z0-9.-]+", component["license"]):
        licence_refs[ref] = licence_text(recipe, ref)
    sourced = f"built from {source['file']} (sha256 {source['sha256']}), from {source['from']}"
    if source["patches"]:
        sourced += "; patches applied: " + ", ".join(source["patches"])
    package = {
        "SPDXID": spdx_id("PACKAGE", component["name"]), "name": component["name"],
        "versionInfo": component["version"], "packageFileName": source["file"],
        "checksums": [{"algorithm": "SHA256", "checksumValue": source["sha256"]}],
        "downloadLocation": location, "filesAnalyzed": False,
        "licenseConcluded": component["license"], "licenseDeclared": component["license"],
        "copyrightText": "NOASSERTION", "sourceInfo": sourced,
        "primaryPackagePurpose": "APPLICATION" if component["name"] == "cpython" else "LIBRARY",
    }
    if component["name"] == "cpython":
        package["externalRefs"] = [{
            "referenceCategory": "SECURITY", "referenceType": "cpe23Type",
            "referenceLocator": f"cpe:2.3:a:python:python:{component['version']}:*:*:*:*:*:*:*"}]
    return package


def all_sources(recipe, version):
    if hasattr(recipe, "VERSIONS"):
        for entry in recipe.VERSIONS.values():
            if entry.version == version:
                return entry.sources
    return recipe.SOURCES


def licence_text(recipe, ref):
    doc = (recipe.__doc__ or "").strip()
    return f"{ref}: the licence of {recipe.NAME} ({doc}); its text is in python/licenses/"


def patch_file(relpath):
    with open(os.path.join(ROOT, relpath), "rb") as f:
        data = f.read()
    return {"SPDXID": spdx_id("FILE", relpath), "fileName": f"./{relpath}",
            "checksums": [{"algorithm": "SHA1", "checksumValue": hashlib.sha1(data).hexdigest()},
                          {"algorithm": "SHA256",
                           "checksumValue": hashlib.sha256(data).hexdigest()}],
            "licenseConcluded": "NOASSERTION", "copyrightText": "NOASSERTION",
            "fileTypes": ["SOURCE"]}


def vendored_by_cpython(cpython, cache_dir):
    """The packages of CPython's own SBOM (what its source tree vendors), read from the
    verified source file, with SPDX 2.3's required fields filled in."""
    recipe = recipes.load("cpython")
    path, _ = sources.fetch(all_sources(recipe, cpython["version"]), cache_dir)
    try:
        with tarfile.open(path) as tar:
            member = next(m for m in tar if m.name.split("/", 1)[-1] == CPYTHON_SBOM)
            data = json.load(tar.extractfile(member))
    except (StopIteration, tarfile.TarError, ValueError) as error:
        raise ArmpyError(f"{path}: no readable {CPYTHON_SBOM} ({error})") from None
    packages = []
    for package in data.get("packages", []):
        package = dict(package, SPDXID=spdx_id("PACKAGE", package["name"]),
                       filesAnalyzed=False, comment=f"vendored in CPython's source tree "
                       f"(its {CPYTHON_SBOM})")
        package.setdefault("licenseDeclared", "NOASSERTION")
        package.setdefault("copyrightText", "NOASSERTION")
        packages.append(package)
    return packages


def pip_package(install):
    """pip as installed from CPython's bundled wheel, if the tree has it."""
    for dirpath, dirnames, _ in os.walk(install):
        for dirname in dirnames:
            found = re.fullmatch(r"pip-([0-9][^-]*)\.dist-info", dirname)
            if found:
                return {"SPDXID": spdx_id("PACKAGE", "pip"), "name": "pip",
                        "versionInfo": found.group(1), "downloadLocation": "NOASSERTION",
                        "filesAnalyzed": False, "licenseConcluded": "MIT",
                        "licenseDeclared": "MIT", "copyrightText": "NOASSERTION",
                        "primaryPackagePurpose": "LIBRARY",
                        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                          "referenceType": "purl",
                                          "referenceLocator": f"pkg:pypi/pip@{found.group(1)}"}],
                        "sourceInfo": "installed from CPython's bundled wheel (ensurepip)"}
    return None


def dumps(doc):
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def check(doc):
    """Validate with spdx-tools (SPDX's own Python tools): a problem is one line."""
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    try:
        parsed = JsonLikeDictParser().parse(json.loads(dumps(doc)))
    except SPDXParsingError as error:
        raise ArmpyError(f"SBOM {doc['name']}: not SPDX 2.3: "
                         f"{'; '.join(error.get_messages())[:400]}") from None
    problems = validate_full_spdx_document(parsed)
    if problems:
        raise ArmpyError(f"SBOM {doc['name']}: {len(problems)} SPDX problems, first: "
                         f"{problems[0].validation_message}")


def write(path, doc):
    check(doc)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(dumps(doc))
    os.replace(tmp, path)

