"""CPython's Windows build description (PCbuild/*.vcxproj and its .props) read as data.

The projects say which sources, preprocessor definitions, include folders and
import libraries make each binary of a Windows build. armpy reads them instead
of keeping its own lists, so a new CPython release brings its own. Only what a
compile needs is read: items and item definitions, with their MSBuild conditions
evaluated against the properties the caller gives (others count as empty).
"""
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from .errors import ArmpyError

NS = "{http://schemas.microsoft.com/developer/msbuild/2003}"


@dataclass
class Source:
    path: str                 # absolute path of the C file
    defines: list = field(default_factory=list)   # this file's own, beyond the project's
    includes: list = field(default_factory=list)


@dataclass
class Project:
    name: str
    kind: str                 # DynamicLibrary or Application
    sources: list             # Source
    defines: list             # every compile's
    includes: list
    libraries: list           # import libraries (e.g. ws2_32), without .lib
    link: dict                # the linker's other settings (SubSystem, StackReserveSize…)
    references: list          # projects it links with (pythoncore, sqlite3…)
    frozen: list              # (module name, .py source, generated header) of _freeze_module
    resources: list = field(default_factory=list)     # .rc scripts (version, manifest, icon)
    resource_defines: list = field(default_factory=list)
    resource_includes: list = field(default_factory=list)


def read(pcbuild, name, properties):
    """The Project `name` (pythoncore, _socket…) of the PCbuild folder. `properties`
    are fixed, as on MSBuild's command line; the files' own properties are evaluated
    in order, except those computed by MSBuild's property functions."""
    path = os.path.join(pcbuild, f"{name}.vcxproj")
    given = dict(properties, PySourcePath=os.path.dirname(os.path.abspath(pcbuild)) + "/",
                 ProjectName=name)
    trees = with_imports(path, given)
    props = evaluate_properties(trees, given)
    project = Project(name=name, kind=props.get("ConfigurationType", ""), sources=[],
                      defines=[], includes=[], libraries=[], link={}, references=[],
                      frozen=[])
    for tree in trees:
        for element in tree.iter():
            tag = element.tag.replace(NS, "")
            if tag == "ItemDefinitionGroup" and applies(element, props):
                read_definitions(element, props, project, pcbuild)
            elif tag == "ItemGroup" and applies(element, props) and not inside_target(tree,
                                                                                        element):
                read_items(element, props, project, pcbuild)
    return project


def parse(path):
    try:
        return ET.parse(path)
    except (OSError, ET.ParseError) as error:
        raise ArmpyError(f"{path}: cannot read CPython's Windows build description "
                         f"({error})") from None


def with_imports(path, props, seen=None):
    """The project file and the .props of PCbuild it imports (python.props,
    pyproject.props, libffi.props…), each once, imported files first. Visual
    Studio's own (Microsoft.Cpp.*) are not in PCbuild and are left out."""
    seen = set() if seen is None else seen
    seen.add(path)
    tree = parse(path)
    trees = []
    for element in tree.getroot().iter(f"{NS}Import"):
        imported = os.path.join(os.path.dirname(path),
                                expand(element.attrib.get("Project", ""), props))
        if os.path.isfile(imported) and imported not in seen:
            trees += with_imports(imported, props, seen)
    return trees + [tree]


def evaluate_properties(trees, given):
    props = dict(given)
    for tree in trees:
        for group in tree.getroot().iter(f"{NS}PropertyGroup"):
            if inside_target(tree, group) or not applies(group, props):
                continue
            for prop in group:
                name, text = prop.tag.replace(NS, ""), (prop.text or "").strip()
                if name in given or re.search(r"\$\(\[|\$\(\w+\.", text):
                    continue
                try:
                    if not applies(prop, props):
                        continue
                except ArmpyError:
                    continue    # conditions on MSBuild's own facts (toolset versions)
                props[name] = expand(text, props)
    return props


def inside_target(tree, element):
    """Items inside a <Target> are changed at build time (getbuildinfo's git facts)."""
    targets = tree.getroot().findall(f"{NS}Target")
    return any(element in target.iter() for target in targets)


def read_definitions(group, props, project, pcbuild):
    for tool in group:
        tag = tool.tag.replace(NS, "")
        for setting in tool:
            if not applies(setting, props):
                continue
            name = setting.tag.replace(NS, "")
            if tag == "ClCompile" and name == "PreprocessorDefinitions":
                project.defines += values(setting.text, props)
            elif tag == "ClCompile" and name == "AdditionalIncludeDirectories":
                project.includes += [folder(v, pcbuild) for v in values(setting.text, props)]
            elif tag == "ResourceCompile" and name == "PreprocessorDefinitions":
                project.resource_defines += values(setting.text, props)
            elif tag == "ResourceCompile" and name == "AdditionalIncludeDirectories":
                project.resource_includes += [folder(v, pcbuild)
                                              for v in values(setting.text, props)]
            elif tag == "Link" and name == "AdditionalDependencies":
                # By name: some are named by where PCbuild's own build puts them.
                project.libraries += [re.split(r"[\\/]", v)[-1][:-4]
                                      for v in values(setting.text, props)
                                      if v.lower().endswith(".lib")]
            elif tag == "Link":
                project.link[name] = expand((setting.text or "").strip(), props)


def read_items(group, props, project, pcbuild):
    for item in group:
        tag = item.tag.replace(NS, "")
        if not applies(item, props) or "Include" not in item.attrib:
            continue
        include = folder(expand(item.attrib["Include"], props), pcbuild)
        settings = {child.tag.replace(NS, ""): child for child in item if applies(child, props)}
        if tag == "ProjectReference":
            project.references.append(os.path.basename(include)[:-len(".vcxproj")])
        elif tag == "ClCompile":
            source = Source(include)
            if "PreprocessorDefinitions" in settings:
                source.defines = values(settings["PreprocessorDefinitions"].text, props)
            if "AdditionalIncludeDirectories" in settings:
                source.includes = [folder(v, pcbuild) for v in
                                   values(settings["AdditionalIncludeDirectories"].text, props)]
            project.sources.append(source)
        elif tag == "ResourceCompile":
            project.resources.append(include)
        elif "ModName" in settings and "OutFile" in settings:
            out = expand(settings["OutFile"].text.strip(), props).replace("\\", "/")
            project.frozen.append((settings["ModName"].text.strip(), include, out))


def values(text, props):
    """A ;-separated MSBuild list, expanded, without the %(…) inherited placeholder."""
    out = []
    for value in expand(text or "", props).split(";"):
        value = value.strip()
        if value and not value.startswith("%("):
            out.append(value)
    return out


def folder(path, pcbuild):
    """A Windows path of the project as a path on this machine."""
    path = path.replace("\\", "/")
    if not os.path.isabs(path):
        path = os.path.join(pcbuild, path)
    return os.path.normpath(path)


def expand(text, props):
    return re.sub(r"\$\((\w+)\)", lambda m: str(props.get(m.group(1), "")), text)


def applies(element, props):
    condition = element.attrib.get("Condition")
    return condition is None or evaluate(condition, props)


TOKEN = re.compile(r"\s*(?:(?P<str>'[^']*')|(?P<prop>\$\(\w+\))|(?P<op>==|!=|!|\(|\)|,)"
                   r"|(?P<word>[A-Za-z_][\w.]*)|(?P<other>\S+))")


def evaluate(condition, props):
    """An MSBuild condition: quoted or bare values compared case-insensitively with
    == and !=, `and`, `or`, `!`, parentheses, Exists() and HasTrailingSlash()."""
    words = []
    for match in TOKEN.finditer(condition):
        kind, token = match.lastgroup, match.group(match.lastgroup)
        if kind == "str":
            words.append(f"V({expand(token[1:-1], props)!r})")
        elif kind == "prop":
            words.append(f"V({expand(token, props)!r})")
        elif kind == "op":
            words.append({"!": " not "}.get(token, token))
        elif kind == "word" and token.lower() in ("and", "or"):
            words.append(f" {token.lower()} ")
        elif kind == "word" and token.lower() in ("exists", "hastrailingslash"):
            words.append(token.lower())
        elif kind == "word":
            words.append(f"V({token!r})")
        else:
            raise ArmpyError(f"MSBuild condition not understood: {condition}")
    functions = {"V": Value,
                 "exists": lambda p: bool(p) and os.path.exists(p.replace("\\", "/")),
                 "hastrailingslash": lambda p: p.endswith(("/", "\\"))}
    try:
        result = eval("".join(words), {"__builtins__": {}}, functions)  # noqa: S307
    except SyntaxError:
        raise ArmpyError(f"MSBuild condition not understood: {condition}") from None
    # A bare value is true when it says true (MSBuild's own rule).
    return result == "true" if isinstance(result, str) else bool(result)


class Value(str):
    """An MSBuild value: compared without regard to letter case."""
    def __eq__(self, other):
        return self.lower() == str(other).lower()

    def __ne__(self, other):
        return not self == other

    __hash__ = str.__hash__
