"""SCORM packages as an LMS administrator receives them: manifests, schemas, files, reproducibility, `cursus verify`."""

from __future__ import annotations

import zipfile
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from conftest import COURSE, ROOTS, _shared_build, run
from cursus.verify import manifest_schema, schemas_folder

SCHEMAS = Path(__file__).resolve().parent.parent.parent / "shared" / "scorm-schemas"
NS = {
    "1.2": {"cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2", "adlcp": "http://www.adlnet.org/xsd/adlcp_rootv1p2",
            "imsmd": "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"},
    "2004": {"cp": "http://www.imsglobal.org/xsd/imscp_v1p1", "adlcp": "http://www.adlnet.org/xsd/adlcp_v1p3",
             "imsss": "http://www.imsglobal.org/xsd/imsss", "lom": "http://ltsc.ieee.org/xsd/LOM"},
}
FOLDERS = {"1.2": "scorm12", "2004": "scorm2004"}
SCORM_TYPE = {"1.2": "scormtype", "2004": "scormType"}


@pytest.fixture(scope="session")
def shipped_scorm(tmp_path_factory) -> Path:
    """The shipped course built as both SCORM packages."""
    return _shared_build(tmp_path_factory, "shipped-scorm", COURSE, "scorm12", "scorm2004")


@pytest.fixture(scope="session")
def mini_scorm(tmp_path_factory) -> Path:
    """The mini course built as both SCORM packages."""
    return _shared_build(tmp_path_factory, "mini-scorm", ROOTS / "mini", "scorm12", "scorm2004")


def manifest(package: Path):
    """Return the parsed imsmanifest.xml of a package."""
    with zipfile.ZipFile(package) as archive:
        return lxml.etree.fromstring(archive.read("imsmanifest.xml"))


def names(package: Path) -> set[str]:
    with zipfile.ZipFile(package) as archive:
        return set(archive.namelist())


def official_schema(version: str) -> lxml.etree.XMLSchema:
    """The official XSDs from shared/scorm-schemas; for 1.2 the inline IMS MD metadata is checked by a lax
    stand-in schema (templates/scorm/imsmd-lax.xsd) because the official IMS MD 1.2.1 XSD does not load in lxml."""
    bundled = schemas_folder()
    assert bundled == (Path(__file__).resolve().parent.parent / "templates" / "scorm" / "schemas").resolve()
    for reference in SCHEMAS.rglob("*.xsd"):  # the bundled copies are the official bytes
        assert (bundled / reference.relative_to(SCHEMAS)).read_bytes() == reference.read_bytes()
    return manifest_schema(version)


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_shipped_manifest_validates_against_the_official_xsds(shipped_scorm, version):
    package = shipped_scorm / FOLDERS[version] / "kinderarmoede-sociaal-domein-1.0.0.zip"
    schema = official_schema(version)
    assert schema.validate(manifest(package)), schema.error_log


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_the_schema_check_can_fail(mini_scorm, version):
    root = manifest(mini_scorm / FOLDERS[version] / "mini-1.0.0.zip")
    if version == "1.2":
        root.find(".//cp:resource", NS[version]).set(f"{{{NS[version]['adlcp']}}}scormType", "sco")
    else:
        root.find(".//imsss:controlMode", NS[version]).set("choice", "yes")
    assert not official_schema(version).validate(root)


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_manifest_one_sco_per_module_organised_by_part(mini_scorm, version):
    ns = NS[version]
    root = manifest(mini_scorm / FOLDERS[version] / "mini-1.0.0.zip")
    assert root.findtext("cp:metadata/cp:schemaversion", namespaces=ns) == {"1.2": "1.2", "2004": "2004 4th Edition"}[version]
    organization = root.find("cp:organizations/cp:organization", ns)
    assert root.find("cp:organizations", ns).get("default") == organization.get("identifier") == "ORG-mini"
    parts = organization.findall("cp:item", ns)
    assert [p.findtext("cp:title", namespaces=ns) for p in parts] == ["Deel A", "Deel B"]
    assert all(p.get("identifierref") is None for p in parts)
    scos = [item for part in parts for item in part.findall("cp:item", ns)]
    assert [(i.get("identifier"), i.get("identifierref"), i.findtext("cp:title", namespaces=ns)) for i in scos] == [
        ("ITEM-mini-een", "RES-mini-een", "Module één"), ("ITEM-mini-twee", "RES-mini-twee", "Module twee")]
    resources = {r.get("identifier"): r for r in root.iterfind(".//cp:resource", ns)}
    attr = f"{{{ns['adlcp']}}}{SCORM_TYPE[version]}"
    assert {k: r.get(attr) for k, r in resources.items()} == {"RES-mini-een": "sco", "RES-mini-twee": "sco", "RES-mini-common": "asset"}
    assert resources["RES-mini-een"].get("href") == "een.html"
    assert [f.get("href") for f in resources["RES-mini-twee"].findall("cp:file", ns)] == ["media/02-twee/media/huis.png", "twee.html"]


def test_manifest_mastery_metadata_and_sequencing(mini_scorm):
    ns12, ns04 = NS["1.2"], NS["2004"]
    root12 = manifest(mini_scorm / "scorm12" / "mini-1.0.0.zip")
    assert root12.xpath("//cp:item[@identifier='ITEM-mini-een']/adlcp:masteryscore/text()", namespaces=ns12) == ["50"]
    assert root12.xpath("//imsmd:general/imsmd:title/imsmd:langstring/text()", namespaces=ns12) == ["Mini cursus"]
    assert root12.xpath("//imsmd:typicallearningtime/imsmd:datetime/text()", namespaces=ns12) == ["PT1H15M"]
    root04 = manifest(mini_scorm / "scorm2004" / "mini-1.0.0.zip")
    assert root04.xpath("//lom:general/lom:language/text()", namespaces=ns04) == ["nl"]
    assert root04.xpath("//lom:typicalLearningTime/lom:duration/text()", namespaces=ns04) == ["PT1H15M"]
    assert root04.xpath("//imsss:primaryObjective[@satisfiedByMeasure='true']/imsss:minNormalizedMeasure/text()", namespaces=ns04) == ["0.50", "0.50"]
    modes = root04.xpath("//imsss:controlMode", namespaces=ns04)
    assert modes and all(m.get("choice") == "true" and m.get("flow") == "true" for m in modes)


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_every_file_listed_and_every_listed_file_present(shipped_scorm, version):
    package = shipped_scorm / FOLDERS[version] / "kinderarmoede-sociaal-domein-1.0.0.zip"
    root = manifest(package)
    listed = set(root.xpath("//cp:file/@href", namespaces=NS[version]))
    assert listed == names(package) - {"imsmanifest.xml"}
    assert all(not n.startswith("/") and ".." not in n for n in names(package))


def test_sco_pages_do_not_link_to_other_scos(mini_scorm):
    with zipfile.ZipFile(mini_scorm / "scorm12" / "mini-1.0.0.zip") as archive:
        page = lxml.etree.HTML(archive.read("een.html"))
    hrefs = page.xpath("//a/@href")
    assert not [h for h in hrefs if h.split("#")[0].endswith(".html")], hrefs
    assert "link naar twee" in "".join(page.xpath("//main//text()"))
    scripts = page.xpath("//script/@src")
    assert scripts.index("scorm.js") < scripts.index("cursus.js")
    assert page.xpath("//body/@data-module") == ["een"]


def test_learners_never_see_trainer_notes_or_copy_sheets(mini_scorm):
    for version in ("scorm12", "scorm2004"):
        with zipfile.ZipFile(mini_scorm / version / "mini-1.0.0.zip") as archive:
            texts = [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
        assert any("Een week rondkomen" in text for text in texts)
        for text in texts:
            assert "GEHEIM-TRAINER" not in text and "Rolkaarten" not in text


def test_rebuilds_are_byte_identical_and_identifiers_survive_a_new_version(mini, tmp_path):
    first = tmp_path / "first"
    assert run("build", mini, "--out", first, "-f", "scorm12", "-f", "scorm2004", "--quiet").exit_code == 0
    second = tmp_path / "second"
    assert run("build", mini, "--out", second, "-f", "scorm12", "-f", "scorm2004", "--quiet").exit_code == 0
    for folder in ("scorm12", "scorm2004"):
        assert (first / folder / "mini-1.0.0.zip").read_bytes() == (second / folder / "mini-1.0.0.zip").read_bytes()
    yml = mini / "course.yml"
    yml.write_text(yml.read_text("utf-8").replace("version: 1.0.0", "version: 1.1.0"), "utf-8")
    third = tmp_path / "third"
    assert run("build", mini, "--out", third, "-f", "scorm12", "--quiet").exit_code == 0
    ids = lambda p: manifest(p).xpath("//@identifier | //@identifierref")
    assert ids(third / "scorm12" / "mini-1.1.0.zip") == ids(first / "scorm12" / "mini-1.0.0.zip")
    with zipfile.ZipFile(first / "scorm12" / "mini-1.0.0.zip") as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 1, 1, 0, 0, 0)}


def test_single_sco_and_module_packages(mini, tmp_path):
    out = tmp_path / "out"
    assert run("build", mini, "--out", out, "-f", "scorm2004", "--single-sco", "--quiet").exit_code == 0
    root = manifest(out / "scorm2004" / "mini-1.0.0.zip")
    ns = NS["2004"]
    assert [i.get("identifierref") for i in root.iterfind(".//cp:item", ns)] == ["RES-mini-mini"]
    assert root.find(".//cp:resource", ns).get("href") == "launch.html"
    assert {"index.html", "reflections.html", "een.html", "twee.html", "launch.html"} <= names(out / "scorm2004" / "mini-1.0.0.zip")
    assert run("build", mini, "--out", out, "-f", "scorm12", "--module", "twee", "--quiet").exit_code == 0
    package = out / "scorm12" / "mini-twee-1.0.0.zip"
    assert names(package) == {"imsmanifest.xml", "twee.html", "media/02-twee/media/huis.png", "cursus.css", "cursus.js", "scorm.js"}
    assert manifest(package).xpath("//cp:item/@identifierref", namespaces=NS["1.2"]) == ["RES-mini-twee-twee"]


def test_suspend_data_budget_warns_for_a_single_sco_of_the_shipped_course_and_fails_strict(tmp_path):
    out = tmp_path / "out"
    result = run("build", COURSE, "--out", out, "-f", "scorm12", "--single-sco", "--strict")
    assert result.exit_code == 1
    assert "suspend_data keep only" in result.output and "nothing was written" in result.output
    assert not (out / "scorm12").exists()


def test_shipped_course_fits_the_budget_under_strict(shipped_scorm, tmp_path):
    result = run("verify", shipped_scorm / "scorm12" / "kinderarmoede-sociaal-domein-1.0.0.zip")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output and "budget checked for 18 SCO(s)" in result.output


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_verify_accepts_good_packages(mini_scorm, version):
    result = run("verify", mini_scorm / FOLDERS[version] / "mini-1.0.0.zip")
    assert result.exit_code == 0, result.output
    assert f"SCORM {version} package" in result.output and "OK (0 error(s), 0 warning(s))" in result.output


def repack(source: Path, target: Path, change) -> Path:
    """Copy a package, letting *change* edit a dict of its files (name -> bytes); return the new zip."""
    with zipfile.ZipFile(source) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return target


BROKEN = [
    ("missing", lambda f: f.pop("twee.html"), "'twee.html' is listed in resource 'RES-mini-twee' but missing from the zip"),
    ("case", lambda f: f.__setitem__("Een.html", f.pop("een.html")), "'een.html' is listed, but the zip holds 'Een.html': case differs"),
    ("escape", lambda f: f.__setitem__("../evil.html", b"x"), "unsafe path in the zip: '../evil.html'"),
    ("schema", lambda f: f.__setitem__("imsmanifest.xml", f["imsmanifest.xml"].replace(b'scormtype="sco"', b'scormType="sco"')), "schema:"),
    ("dangling", lambda f: f.__setitem__("imsmanifest.xml", f["imsmanifest.xml"].replace(b'identifierref="RES-mini-een"', b'identifierref="RES-nope"')),
     "launches resource 'RES-nope', which does not exist"),
    ("no-manifest", lambda f: f.pop("imsmanifest.xml"), "imsmanifest.xml is missing"),
]


@pytest.mark.parametrize("name, change, message", BROKEN, ids=[c[0] for c in BROKEN])
def test_verify_rejects_broken_packages(mini_scorm, tmp_path, name, change, message):
    package = repack(mini_scorm / "scorm12" / "mini-1.0.0.zip", tmp_path / f"{name}.zip", change)
    result = run("verify", package)
    assert result.exit_code == 1
    assert message in result.output
    assert "fix the errors before uploading" in result.output and "Traceback" not in result.output


def test_verify_reports_symlinks_and_unlisted_files(mini_scorm, tmp_path):
    def change(files):
        files["extra.txt"] = b"not listed"
    package = repack(mini_scorm / "scorm12" / "mini-1.0.0.zip", tmp_path / "extra.zip", change)
    with zipfile.ZipFile(package, "a") as archive:
        link = zipfile.ZipInfo("link.html")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    result = run("verify", package)
    assert result.exit_code == 1
    assert "symbolic link in the zip: 'link.html'" in result.output
    assert "warning: 'extra.txt' is in the zip but no resource lists it" in result.output


def test_verify_refuses_a_file_that_is_not_a_zip(tmp_path):
    bogus = tmp_path / "course.zip"
    bogus.write_text("hello")
    result = run("verify", bogus)
    assert result.exit_code == 1 and "not a readable zip file" in result.output


def test_verify_catches_a_misspelled_scorm_type_in_2004(mini_scorm, tmp_path):
    def change(files):
        files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(b'adlcp:scormType="sco"', b'adlcp:scormtype="sco"')
    package = repack(mini_scorm / "scorm2004" / "mini-1.0.0.zip", tmp_path / "spelling.zip", change)
    result = run("verify", package)
    assert result.exit_code == 1
    assert "resource 'RES-mini-een' needs adlcp:scormType=\"sco\" or \"asset\" (spelled exactly so)" in result.output


def test_a_media_file_named_with_spaces_and_accents_gets_a_safe_name_everywhere(mini: Path, tmp_path: Path):
    """'foto één.png' is a common name for a trainer's photo, and no valid URL: some LMSs fail to
    import a package holding it. Every output uses one ASCII name for it, the same in page, zip and manifest."""
    media = mini / "02-twee" / "media"
    (media / "huis.png").rename(media / "foto één.png")
    module = mini / "02-twee" / "index.md"
    module.write_text(module.read_text("utf-8").replace("media/huis.png", "media/foto%20%C3%A9%C3%A9n.png"), "utf-8")
    out = tmp_path / "out"
    assert run("build", mini, "--out", out, "-f", "web", "-f", "scorm12", "-f", "scorm2004", "--quiet").exit_code == 0

    page = lxml.html.parse(str(out / "web" / "twee.html")).getroot()
    source = page.xpath("//img[@alt='Een blauw huis']/@src")[0]
    assert source.startswith("media/02-twee/media/foto-een-") and source.endswith(".png") and source.isascii()
    assert (out / "web" / source).read_bytes() == (media / "foto één.png").read_bytes()
    for version in ("1.2", "2004"):
        package = next((out / FOLDERS[version]).glob("*.zip"))
        with zipfile.ZipFile(package) as archive:
            assert source in archive.namelist() and all(name.isascii() for name in archive.namelist())
            assert lxml.html.fromstring(archive.read("twee.html")).xpath("//img[@alt='Een blauw huis']/@src") == [source]
        files = manifest(package).xpath("//cp:file/@href", namespaces=NS[version])
        assert source in files
        assert official_schema(version).validate(manifest(package))


def test_two_media_files_whose_names_differ_only_in_case_stay_two_files(mini: Path, tmp_path: Path):
    """'Huis.png' beside 'huis.png' is one file on a disk that ignores case (an LMS on Windows, a
    trainer's Mac): the outputs name them apart, in lowercase."""
    media = mini / "02-twee" / "media"
    (media / "Huis.png").write_bytes(b"\x89PNG other")
    module = mini / "02-twee" / "index.md"
    module.write_text(module.read_text("utf-8").replace("(media/huis.png)", "(media/huis.png)\n\n![Een ander huis](media/Huis.png)"), "utf-8")
    out = tmp_path / "out"
    result = run("build", mini, "--out", out, "-f", "web", "-f", "scorm12", "--quiet")
    assert result.exit_code == 0, result.output

    page = lxml.html.parse(str(out / "web" / "twee.html")).getroot()
    first, second = (page.xpath(f"//img[@alt='{alt}']/@src")[0] for alt in ("Een blauw huis", "Een ander huis"))
    assert first == "media/02-twee/media/huis.png" and second != first and second == second.lower()
    assert (out / "web" / second).read_bytes() == b"\x89PNG other"
    with zipfile.ZipFile(next((out / "scorm12").glob("*.zip"))) as archive:
        names = [name.casefold() for name in archive.namelist()]
    assert len(names) == len(set(names)) and second in names
