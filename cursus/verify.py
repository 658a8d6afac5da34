"""``cursus verify PACKAGE.zip``: the static checks an LMS administrator runs on any SCORM package before uploading it."""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

import click
import jinja2
import lxml.etree
import lxml.html

from cursus.diagnostics import CursusError
from cursus.templating import BUILTIN

NAMESPACES = {
    "1.2": "http://www.imsproject.org/xsd/imscp_rootv1p1p2",
    "2004": "http://www.imsglobal.org/xsd/imscp_v1p1",
}
"""The IMS Content Packaging namespace of each SCORM version's manifest."""
SCORM_TYPE = {"1.2": "{http://www.adlnet.org/xsd/adlcp_rootv1p2}scormtype", "2004": "{http://www.adlnet.org/xsd/adlcp_v1p3}scormType"}
SCHEMA_VERSIONS = {"1.2": {"1.2"}, "2004": {"2004 4th Edition", "2004 3rd Edition", "CAM 1.3"}}
UNLISTED = re.compile(r"^[^/]+\.(xsd|dtd)$", re.I)
"""Schema files at the package root: commonly shipped, never listed in a resource."""
SCHEMAS_ENV = "CURSUS_SCORM_SCHEMAS"


@dataclass
class Report:
    """What verification found: errors make the package unfit to upload, warnings deserve a look."""

    package: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return the report as the terminal shows it."""
        shown = [f"{self.package}: error: {e}" for e in self.errors]
        shown += [f"{self.package}: warning: {w}" for w in self.warnings]
        shown += [f"{self.package}: {n}" for n in self.notes]
        return shown


def verify(package_path: Path) -> Report:
    """Check a SCORM package, print the report, and raise CursusError when it has errors."""
    report = check_package(Path(package_path))
    for line in report.lines():
        click.echo(line)
    summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    if report.errors:
        raise CursusError(f"{package_path.name}: {summary}; fix the errors before uploading it to an LMS.")
    click.echo(f"{package_path.name}: OK ({summary})")
    return report


def check_package(path: Path) -> Report:
    """Run every check on one package and return the report."""
    report = Report(path.name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.errors.append(f"not a readable zip file ({exc})")
        return report
    with archive:
        names = _check_entries(archive, report)
        if "imsmanifest.xml" not in names:
            report.errors.append("imsmanifest.xml is missing at the root of the zip (LMSs look for it there)")
            return report
        manifest = _parse(archive.read("imsmanifest.xml"), report)
        if manifest is None:
            return report
        version = _version(manifest, report)
        if version:
            _check_schema(manifest, version, report)
            _check_identifiers(manifest, report)
            _check_files(manifest, version, names, report)
            _check_budget(archive, manifest, names, report)
    return report


def _check_entries(archive: zipfile.ZipFile, report: Report) -> set[str]:
    """Refuse unsafe entries (absolute, '..', backslashes, symlinks) and names that differ only in case."""
    names: set[str] = set()
    folded: dict[str, str] = {}
    for info in archive.infolist():
        name = info.filename
        if info.is_dir():
            continue
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\\" in name:
            report.errors.append(f"unsafe path in the zip: {name!r} (absolute or with backslashes)")
        elif ".." in PurePosixPath(name).parts:
            report.errors.append(f"unsafe path in the zip: {name!r} (leaves the package folder)")
        if stat.S_ISLNK(info.external_attr >> 16):
            report.errors.append(f"symbolic link in the zip: {name!r}")
        if name.casefold() in folded:
            report.errors.append(f"{name!r} and {folded[name.casefold()]!r} differ only in case; they collide on Windows and macOS servers")
        folded[name.casefold()] = name
        names.add(name)
    return names


def _parse(data: bytes, report: Report):
    """Parse the manifest, reporting XML errors."""
    try:
        return lxml.etree.fromstring(data, lxml.etree.XMLParser(resolve_entities=False, no_network=True))
    except lxml.etree.XMLSyntaxError as exc:
        report.errors.append(f"imsmanifest.xml is not well-formed XML: {exc}")
        return None


def _version(manifest, report: Report) -> str:
    """Return '1.2' or '2004' from the manifest's namespace and schemaversion."""
    namespace = lxml.etree.QName(manifest).namespace
    version = next((v for v, ns in NAMESPACES.items() if ns == namespace), "")
    if not version:
        report.errors.append(f"imsmanifest.xml is not an IMS content package manifest (namespace {namespace!r})")
        return ""
    found = manifest.findtext(f"{{{namespace}}}metadata/{{{namespace}}}schemaversion", "").strip()
    if found not in SCHEMA_VERSIONS[version]:
        report.errors.append(f"schemaversion is {found!r}; a SCORM {version} manifest needs {' or '.join(sorted(SCHEMA_VERSIONS[version]))!r}")
    report.notes.append(f"SCORM {version} package (schemaversion {found!r})")
    return version


def _check_schema(manifest, version: str, report: Report) -> None:
    """Validate the manifest against the official SCORM schemas."""
    schema = manifest_schema(version)
    if schema is None:
        report.warnings.append(f"XSD validation skipped: the SCORM schemas were not found (set {SCHEMAS_ENV} to a folder with scorm12/ and scorm2004-4th/)")
        return
    if not schema.validate(manifest):
        for error in schema.error_log:
            report.errors.append(f"imsmanifest.xml:{error.line}: schema: {error.message}")


@lru_cache(maxsize=2)
def manifest_schema(version: str) -> lxml.etree.XMLSchema | None:
    """Return the XSD a manifest of this SCORM version must satisfy, or None without the schema files."""
    folder = schemas_folder()
    if folder is None:
        return None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(BUILTIN)), autoescape=True, undefined=jinja2.StrictUndefined)
    name = "12" if version == "1.2" else "2004"
    text = env.get_template(f"scorm/schema-{name}.xsd").render(schemas=folder.as_uri(), lax=(BUILTIN / "scorm" / "imsmd-lax.xsd").as_uri())
    return lxml.etree.XMLSchema(lxml.etree.fromstring(text.lstrip().encode("utf-8"), base_url=folder.as_uri() + "/"))


def schemas_folder() -> Path | None:
    """Return the folder with the official SCORM XSDs: $CURSUS_SCORM_SCHEMAS, else the bundled copies."""
    candidates = [os.environ.get(SCHEMAS_ENV, ""), str(BUILTIN / "scorm" / "schemas")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "scorm12").is_dir() and (Path(candidate) / "scorm2004-4th").is_dir():
            return Path(candidate).resolve()
    return None


def _check_identifiers(manifest, report: Report) -> None:
    """Identifiers are unique; every identifierref, dependency and default organization resolves."""
    ns = lxml.etree.QName(manifest).namespace
    seen: dict[str, int] = {}
    for element in manifest.iter():
        value = element.get("identifier")
        if value is not None:
            seen[value] = seen.get(value, 0) + 1
    for value, count in sorted(seen.items()):
        if count > 1:
            report.errors.append(f"identifier {value!r} is used {count} times")
    resources = {r.get("identifier") for r in manifest.iter(f"{{{ns}}}resource")}
    for item in manifest.iter(f"{{{ns}}}item"):
        ref = item.get("identifierref")
        if ref is not None and ref not in resources:
            report.errors.append(f"item {item.get('identifier')!r} launches resource {ref!r}, which does not exist")
    for dependency in manifest.iter(f"{{{ns}}}dependency"):
        if dependency.get("identifierref") not in resources:
            report.errors.append(f"dependency on {dependency.get('identifierref')!r}, which is not a resource")
    organizations = manifest.find(f"{{{ns}}}organizations")
    default = organizations.get("default") if organizations is not None else None
    if default and default not in {o.get("identifier") for o in manifest.iter(f"{{{ns}}}organization")}:
        report.errors.append(f"the default organization {default!r} does not exist")


def _check_files(manifest, version: str, names: set[str], report: Report) -> None:
    """Every listed file exists with exactly that case; every file in the zip is listed; SCOs have a launch page."""
    ns = lxml.etree.QName(manifest).namespace
    folded = {name.casefold(): name for name in names}
    listed: set[str] = set()
    for resource in manifest.iter(f"{{{ns}}}resource"):
        base = resource.get("{http://www.w3.org/XML/1998/namespace}base", "")
        hrefs = [f.get("href", "") for f in resource.iter(f"{{{ns}}}file")]
        if resource.get(SCORM_TYPE[version]) not in ("sco", "asset"):
            attribute = "adlcp:scormtype" if version == "1.2" else "adlcp:scormType"
            report.errors.append(f"resource {resource.get('identifier')!r} needs {attribute}=\"sco\" or \"asset\" (spelled exactly so)")
        launch = resource.get("href")
        if launch:
            hrefs.append(launch.split("?")[0].split("#")[0])
        elif resource.get(SCORM_TYPE[version]) == "sco":
            report.errors.append(f"SCO resource {resource.get('identifier')!r} has no href (launch page)")
        for href in sorted(set(hrefs)):
            name = (PurePosixPath(base) / href).as_posix() if base else href
            listed.add(name)
            if name in names:
                continue
            if name.casefold() in folded:
                report.errors.append(f"{name!r} is listed, but the zip holds {folded[name.casefold()]!r}: case differs (fails on Linux servers)")
            elif not re.match(r"^[a-z]+:", name):
                report.errors.append(f"{name!r} is listed in resource {resource.get('identifier')!r} but missing from the zip")
    for name in sorted(names - listed):
        if name != "imsmanifest.xml" and not UNLISTED.match(name):
            report.warnings.append(f"{name!r} is in the zip but no resource lists it")


def _check_budget(archive: zipfile.ZipFile, manifest, names: set[str], report: Report) -> None:
    """For cursus packages: the worst case of suspend_data against the SCORM 1.2 limit of 4,096 characters."""
    from cursus.builders.scorm import ANSWER_MIN, answer_share

    configs = {}
    for name in sorted(n for n in names if n.endswith(".html")):
        config = _runtime_config(archive.read(name))
        if config:
            configs[config["sco"]] = config
    if not configs:
        report.notes.append("not built by cursus: suspend_data budget not checked")
        return
    for sco, config in sorted(configs.items()):
        share = answer_share(config)
        if share is not None and share < ANSWER_MIN:
            report.warnings.append(
                f"SCO {sco!r}: in the worst case {config['limit']:,} characters of suspend_data keep only "
                f"{max(share, 0)} characters of each of its {len(config['reflections'])} answers; longer answers stay in the learner's browser"
            )
    report.notes.append(f"suspend_data budget checked for {len(configs)} SCO(s)")


def _runtime_config(data: bytes) -> dict | None:
    """Return the cursus runtime configuration embedded in a page, if any."""
    try:
        found = lxml.html.fromstring(data).xpath('//script[@id="cursus-scorm"]')
        return json.loads(found[0].text) if found else None
    except (ValueError, lxml.etree.ParserError, IndexError, TypeError):
        return None
