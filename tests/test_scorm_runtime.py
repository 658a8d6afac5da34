"""The SCORM runtime in headless Chromium: a test LMS (scorm-again in the parent window) launches each
SCO in an iframe, as an LMS does; learners walk modules, close, relaunch with what the LMS kept."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from conftest import NODE_MODULES, ROOTS, run
from test_scorm_package import mini_scorm, shipped_scorm  # noqa: F401  (shared session builds)

HARNESS = Path(__file__).resolve().parent / "scorm" / "harness.html"
PACKAGES = {"1.2": "p12", "2004": "p2004"}
LONG = "Schaarste vraagt aandacht. " * 200  # 5,400 characters: more than SCORM 1.2 lets an LMS keep


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def lms(tmp_path_factory, mini_scorm, shipped_scorm):  # noqa: F811
    """Serve the test LMS, scorm-again and the extracted packages on 127.0.0.1; return the base URL."""
    root = tmp_path_factory.mktemp("lms")
    shutil.copy(HARNESS, root / "harness.html")
    (root / "lib").mkdir()
    for name in ("scorm12.js", "scorm2004.js"):
        shutil.copy(NODE_MODULES / "scorm-again" / "dist" / name, root / "lib" / name)
    single = tmp_path_factory.mktemp("single")
    assert run("build", ROOTS / "mini", "--out", single, "-f", "scorm12", "-f", "scorm2004", "--single-sco", "--quiet").exit_code == 0
    packages = {
        "p12": mini_scorm / "scorm12" / "mini-1.0.0.zip", "p2004": mini_scorm / "scorm2004" / "mini-1.0.0.zip",
        "s12": single / "scorm12" / "mini-1.0.0.zip", "s2004": single / "scorm2004" / "mini-1.0.0.zip",
        "ship12": shipped_scorm / "scorm12" / "kinderarmoede-sociaal-domein-1.0.0.zip",
        "ship2004": shipped_scorm / "scorm2004" / "kinderarmoede-sociaal-domein-1.0.0.zip",
    }
    for folder, package in packages.items():
        with zipfile.ZipFile(package) as archive:
            archive.extractall(root / folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class Session:
    """One launch of a SCO by the test LMS."""

    def __init__(self, page, base: str, version: str, href: str, cmi: dict | None = None, faults: dict | None = None):
        self.page = page
        self.version = version
        page.goto(f"{base}/harness.html")
        page.evaluate("o => launch(o)", {"version": version, "href": href, "cmi": cmi, "faults": faults or {}})
        page.wait_for_function("() => { const w = document.getElementById('sco').contentWindow;"
                               " return w && w.CursusRuntime && w.document.readyState === 'complete'; }")
        self.frame = page.frame(name="sco")

    def content(self, expected: str):
        """Return the course page inside a single-SCO launch page, once *expected* (a file name) is loaded."""
        self.page.wait_for_function(
            "expected => { const w = document.getElementById('sco').contentDocument.getElementById('cursus-frame').contentWindow;"
            " return w && w.location.pathname.endsWith('/' + expected) && w.CursusStore && w.document.readyState === 'complete'; }",
            arg=expected)
        return self.page.frame(name="cursus-frame")

    def cmi(self) -> dict:
        """What the LMS holds right now."""
        return self.page.evaluate("cmiData()")["cmi"]

    def calls(self, name: str) -> list:
        return [call for call in self.page.evaluate("lms.calls") if call[0] == name]

    def close(self) -> dict:
        """Close the SCO as an LMS does (replace the frame's page) and return the CMI data left behind."""
        self.page.evaluate("closeSco()")
        return self.cmi()

    def message(self, frame=None) -> str:
        return (frame or self.frame).locator("[data-scorm='status']").inner_text()


def value(cmi: dict, version: str, name: str):
    """Read a data model element by its short name in either SCORM version."""
    paths = {
        "1.2": {"status": "core.lesson_status", "location": "core.lesson_location", "exit": "core.exit", "raw": "core.score.raw",
                "entry": "core.entry", "session": "core.session_time"},
        "2004": {"status": "completion_status", "location": "location", "exit": "exit", "raw": "score.raw",
                 "entry": "entry", "session": "session_time"},
    }[version]
    node = cmi
    for key in paths.get(name, name).split("."):
        node = node[key]
    return node


def relaunch_data(cmi: dict, version: str) -> dict:
    """The data an LMS hands the next launch: what was stored, with entry=resume after a suspend."""
    if version == "1.2":
        core = cmi["core"]
        return {"suspend_data": cmi["suspend_data"], "core": {
            "lesson_status": core["lesson_status"], "lesson_location": core["lesson_location"], "score": core["score"],
            "entry": "resume" if core["exit"] == "suspend" else ""}}
    keep = ("suspend_data", "completion_status", "success_status", "location", "score")
    data = {key: cmi[key] for key in keep}
    data["entry"] = "resume" if cmi["exit"] == "suspend" else ""
    return data


def answer_correctly(frame, check_id: str) -> None:
    """Choose every correct option of a knowledge check and check the answer."""
    section = frame.locator(f"[data-check='{check_id}']")
    for index in range(section.locator("input[value]").count()):
        feedback = section.locator(f"#{check_id}-{index}-feedback")
        if feedback.get_attribute("data-correct") == "true":
            section.locator(f"#{check_id}-{index}").check()
    section.locator("[data-check-button]").click()


def write(frame, reflection_id: str, text: str) -> None:
    field = frame.locator(f"#{reflection_id}-answer")
    field.fill(text)
    field.blur()


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_module_walkthrough_close_and_resume(browser, lms, version):
    context = browser.new_context()
    first = Session(context.new_page(), lms, version, f"{PACKAGES[version]}/een.html")
    assert value(first.cmi(), version, "status") == "incomplete"
    write(first.frame, "een-r1", "Schaarste trekt al mijn aandacht.")
    first.frame.evaluate("document.getElementById('inleiding').scrollIntoView()")
    first.frame.wait_for_timeout(300)  # give the IntersectionObserver a frame to report the section
    cmi = first.close()
    assert value(cmi, version, "status") == "incomplete"
    assert value(cmi, version, "exit") == "suspend"
    assert value(cmi, version, "location") == "een.html#inleiding"
    assert "Schaarste trekt al mijn aandacht." in cmi["suspend_data"]
    assert len(first.calls({"1.2": "LMSInitialize", "2004": "Initialize"}[version])) == 1
    assert len(first.calls({"1.2": "LMSFinish", "2004": "Terminate"}[version])) == 1
    context.close()

    # Another device: nothing in the browser, everything from the LMS.
    context = browser.new_context()
    second = Session(context.new_page(), lms, version, f"{PACKAGES[version]}/een.html", relaunch_data(cmi, version))
    assert second.frame.locator("#een-r1-answer").input_value() == "Schaarste trekt al mijn aandacht."
    offer = second.frame.locator("[data-scorm='resume']")
    assert offer.is_visible()
    offer.get_by_role("button", name="Verdergaan waar ik was").click()
    second.frame.wait_for_function("Math.abs(document.getElementById('inleiding').getBoundingClientRect().top) < 50")
    answer_correctly(second.frame, "een-kc1")
    cmi = second.close()
    assert value(cmi, version, "raw") == "100"
    if version == "1.2":
        assert cmi["core"]["lesson_status"] == "passed" and cmi["core"]["exit"] == "suspend"
        assert re.fullmatch(r"\d{2,4}:\d\d:\d\d(\.\d+)?", cmi["core"]["session_time"])
        interaction = cmi["interactions"]["0"]
        assert (interaction["id"], interaction["type"], interaction["student_response"], interaction["result"]) == ("een-kc1", "choice", "b", "correct")
    else:
        assert (cmi["completion_status"], cmi["success_status"], cmi["score"]["scaled"], cmi["exit"]) == ("completed", "passed", "1", "suspend")
        interaction = cmi["interactions"]["0"]
        assert (interaction["id"], interaction["learner_response"], interaction["result"]) == ("een-kc1", "b", "correct")
        assert interaction["description"] == "Wat doet schaarste met je aandacht?"
        assert cmi["session_time"].startswith("PT")
    assert interaction["correct_responses"]["0"]["pattern"] == "b"
    context.close()


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_whole_course_as_one_sco(browser, lms, version):
    context = browser.new_context()
    folder = {"1.2": "s12", "2004": "s2004"}[version]
    session = Session(context.new_page(), lms, version, f"{folder}/launch.html")
    start = session.content("index.html")
    assert start.locator("body").get_attribute("data-page") == "index"
    start.locator("a[href='een.html']").first.click()
    een = session.content("een.html")
    write(een, "een-r1", "Antwoord een")
    answer_correctly(een, "een-kc1")
    assert value(session.cmi(), version, "status") == "incomplete"
    een.locator("a[rel='next']").click()
    twee = session.content("twee.html")
    assert twee.locator("body").get_attribute("data-module") == "twee"
    write(twee, "twee-r1", "Antwoord twee")
    twee.locator("#twee-kc1-0").check()
    twee.locator("[data-check-button]").click()  # one of two correct signals: wrong
    live = session.cmi()
    assert value(live, version, "raw") == "50"  # committed while the learner is still in the course
    cmi = session.close()
    expected = ("passed", "suspend") if version == "1.2" else ("completed", "suspend")
    assert (value(cmi, version, "status"), value(cmi, version, "exit")) == expected
    assert value(cmi, version, "location").startswith("twee.html")
    assert len(session.calls({"1.2": "LMSInitialize", "2004": "Initialize"}[version])) == 1

    again = Session(context.new_page(), lms, version, f"{folder}/launch.html", relaunch_data(cmi, version))
    again.content("index.html")
    offer = again.frame.locator("[data-scorm='resume']")
    offer.get_by_role("button", name="Verdergaan waar ik was").click()
    twee = again.content("twee.html")
    assert twee.locator("#twee-r1-answer").input_value() == "Antwoord twee"
    twee.locator("a[href='reflections.html']").first.click()
    reflections = again.content("reflections.html")
    assert reflections.locator("[data-answer-for='een-r1']").inner_text() == "Antwoord een", cmi["suspend_data"]
    context.close()


def test_scorm12_suspend_data_stays_within_4096_and_full_answers_stay_in_the_browser(browser, lms):
    context = browser.new_context(accept_downloads=True)
    session = Session(context.new_page(), lms, "1.2", "p12/een.html")
    write(session.frame, "een-r1", LONG)
    notice = session.frame.locator("[data-scorm='truncated']")
    assert notice.is_visible()
    with session.page.expect_download() as download:
        notice.get_by_role("button", name="Mijn antwoorden downloaden").click()
    assert LONG.strip() in Path(download.value.path()).read_text("utf-8")
    cmi = session.close()
    assert len(cmi["suspend_data"]) <= 4096
    assert json.loads(cmi["suspend_data"])[4]["een-r1"].endswith("…")
    rejected = [c for c in session.calls("LMSSetValue") if c[1] == "cmi.suspend_data" and c[-1] == "false"]
    assert not rejected

    same_browser = Session(context.new_page(), lms, "1.2", "p12/een.html", relaunch_data(cmi, "1.2"))
    assert same_browser.frame.locator("#een-r1-answer").input_value() == LONG
    context.close()
    other = browser.new_context()
    other_browser = Session(other.new_page(), lms, "1.2", "p12/een.html", relaunch_data(cmi, "1.2"))
    kept = other_browser.frame.locator("#een-r1-answer").input_value()
    assert kept.endswith("…") and LONG.startswith(kept[:-1]) and len(kept) > 3000
    other.close()


def test_without_an_lms_the_package_works_and_keeps_progress_in_the_browser(page, lms):
    session = Session(page, lms, "1.2", "p12/een.html", faults={"noApi": True})
    assert "Geen verbinding met de leeromgeving" in session.message()
    write(session.frame, "een-r1", "Alleen in de browser")
    answer_correctly(session.frame, "een-kc1")
    assert session.frame.locator("#een-kc1").get_attribute("class").find("is-correct") >= 0
    stored = json.loads(session.frame.evaluate("localStorage.getItem('cursus-scorm:mini:local')"))
    assert stored["state"]["answers"]["een-r1"] == "Alleen in de browser"
    assert stored["state"]["checks"]["een-kc1"]["ok"] is True
    session.close()
    again = Session(page, lms, "1.2", "p12/een.html", faults={"noApi": True})
    assert again.frame.locator("#een-r1-answer").input_value() == "Alleen in de browser"


ALWAYS = 10_000
"""A fault count that lasts until the test calls heal()."""
FAULTS = [
    ("1.2", {"initFalse": ALWAYS}),
    ("1.2", {"commitFalse": ALWAYS}),
    ("1.2", {"reject": {"cmi.suspend_data": ALWAYS}}),
    ("1.2", {"errorCode": ALWAYS}),
    ("2004", {"initFalse": ALWAYS}),
    ("2004", {"commitFalse": ALWAYS}),
]


@pytest.mark.parametrize("version, faults", FAULTS, ids=[f"{v}-{next(iter(f))}" for v, f in FAULTS])
def test_lms_faults_are_shown_kept_locally_and_retried(page, lms, version, faults):
    session = Session(page, lms, version, f"{PACKAGES[version]}/een.html", faults=faults)
    assert "kon zojuist niet in de leeromgeving worden opgeslagen" in session.message()
    write(session.frame, "een-r1", "Niets gaat verloren")
    answer_correctly(session.frame, "een-kc1")
    stored = json.loads(session.frame.evaluate("localStorage.getItem('cursus-scorm:mini:local')"))
    assert stored["state"]["answers"]["een-r1"] == "Niets gaat verloren"
    assert "kon zojuist niet in de leeromgeving worden opgeslagen" in session.message()
    page.evaluate("heal()")
    page.wait_for_function("() => JSON.stringify(cmiData()).includes('Niets gaat verloren') && "
                           "JSON.stringify(cmiData()).includes('een-kc1')", timeout=20000)
    page.wait_for_function("() => document.getElementById('sco').contentDocument"
                           ".querySelector(\"[data-scorm='status']\").textContent.includes('weer opgeslagen')", timeout=20000)
    failures = [c for c in page.evaluate("lms.calls") if c[-1] == "false" or (c[0].endswith("GetLastError") and c[-1] != "0")]
    assert failures, "the fault was not injected"
    cmi = session.close()
    assert value(cmi, version, "raw") == "100"


def test_shipped_module_in_scorm2004(page, lms):
    session = Session(page, lms, "2004", "ship2004/welkom.html")
    checks = session.frame.eval_on_selector_all("[data-check]", "els => els.map(e => e.getAttribute('data-check'))")
    reflections = session.frame.eval_on_selector_all("textarea[data-reflection]", "els => els.map(e => e.getAttribute('data-reflection'))")
    assert checks and reflections
    for reflection in reflections:
        write(session.frame, reflection, f"Mijn antwoord op {reflection}")
    for check in checks:
        answer_correctly(session.frame, check)
    cmi = session.close()
    assert (cmi["completion_status"], cmi["success_status"], cmi["score"]["raw"]) == ("completed", "passed", "100")
    assert sorted(i["id"] for i in cmi["interactions"].values()) == sorted(checks)
    assert all(f"Mijn antwoord op {r}" in cmi["suspend_data"] for r in reflections)


SHIPPED = {"1.2": "ship12", "2004": "ship2004"}


def answer_wrongly(frame, check_id: str) -> None:
    """Choose one wrong option of a knowledge check (and nothing else) and check the answer."""
    section = frame.locator(f"[data-check='{check_id}']")
    for index in range(section.locator("input[value]").count()):
        box = section.locator(f"#{check_id}-{index}")
        if box.get_attribute("type") == "checkbox" and box.is_checked():
            box.uncheck()
    for index in range(section.locator("input[value]").count()):
        if section.locator(f"#{check_id}-{index}-feedback").get_attribute("data-correct") != "true":
            section.locator(f"#{check_id}-{index}").check()
            break
    section.locator("[data-check-button]").click()


def grade(cmi: dict, version: str) -> tuple:
    """Status (and for 2004 success) and score as the LMS holds them."""
    if version == "1.2":
        return cmi["core"]["lesson_status"], cmi["core"]["score"]["raw"]
    return cmi["completion_status"], cmi["success_status"], cmi["score"]["raw"]


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_the_score_waits_for_every_check_and_what_was_earned_is_never_taken_back(browser, lms, version):
    context = browser.new_context()
    first = Session(context.new_page(), lms, version, f"{SHIPPED[version]}/welkom.html")
    checks = first.frame.eval_on_selector_all("[data-check]", "els => els.map(e => e.getAttribute('data-check'))")
    assert len(checks) >= 3
    answer_correctly(first.frame, checks[0])
    partial = grade(first.cmi(), version)
    assert partial == (("incomplete", "") if version == "1.2" else ("incomplete", "unknown", ""))
    for check in checks[1:]:
        answer_correctly(first.frame, check)
    for reflection in first.frame.eval_on_selector_all("textarea[data-reflection]", "els => els.map(e => e.getAttribute('data-reflection'))"):
        write(first.frame, reflection, "Mijn antwoord")
    passed = ("passed", "100") if version == "1.2" else ("completed", "passed", "100")
    assert grade(first.cmi(), version) == passed
    first.frame.on("dialog", lambda dialog: dialog.accept())
    first.frame.page.on("dialog", lambda dialog: dialog.accept())
    first.frame.locator("[data-clear-answers]").first.click()
    assert first.frame.locator(f"#{checks[0]}").get_attribute("class").find("is-correct") < 0  # the answers are gone
    cmi = first.close()
    assert grade(cmi, version) == passed  # clearing the answers did not take back what was earned

    # Reviewing the module later, the learner answers a check wrongly: the LMS keeps the pass and the score.
    again = Session(context.new_page(), lms, version, f"{SHIPPED[version]}/welkom.html", relaunch_data(cmi, version))
    for check in checks:
        answer_wrongly(again.frame, check)
    assert grade(again.close(), version) == passed
    context.close()


def test_links_to_other_sites_open_in_a_new_window_and_the_session_goes_on(browser, lms):
    context = browser.new_context()
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    session = Session(context.new_page(), lms, "2004", "ship2004/welkom.html")
    outside = session.frame.eval_on_selector_all(
        "a[href^='http']", "links => links.map(a => [a.target, a.rel, a.querySelector('.visually-hidden')?.textContent || ''])")
    assert len(outside) > 5
    assert all(target == "_blank" and "noopener" in rel and note == " (opent in een nieuw venster)" for target, rel, note in outside), outside
    with context.expect_page() as popup:
        session.frame.locator("a[href^='http']").first.click()
    popup.value.close()
    assert session.calls("Terminate") == []
    checks = session.frame.eval_on_selector_all("[data-check]", "els => els.map(e => e.getAttribute('data-check'))")
    answer_correctly(session.frame, checks[0])
    assert session.calls("Commit")[-1][-1] == "true"  # still the same session, still saving
    context.close()


def test_an_interaction_the_lms_rejects_does_not_stop_saving(page, lms):
    session = Session(page, lms, "1.2", "p12/een.html", faults={"reject": {"cmi.interactions.0.id": ALWAYS}})
    answer_correctly(session.frame, "een-kc1")
    live = session.cmi()
    assert (live["core"]["lesson_status"], live["core"]["score"]["raw"]) == ("passed", "100")
    assert "een-kc1" in live["suspend_data"]
    assert session.message() == ""
    assert session.calls("LMSCommit")[-1][-1] == "true"


def test_answers_kept_without_an_lms_never_reach_another_learners_record(page, lms):
    page.goto(f"{lms}/harness.html")
    earlier = {"v": 1, "at": 1, "state": {"v": 1, "answers": {"een-r1": "ALICE PRIVATE TEXT"}, "checks": {}, "seen": ["een"], "loc": "", "name": "Alice"}}
    page.evaluate("r => localStorage.setItem('cursus-scorm:mini:local', JSON.stringify(r))", earlier)
    session = Session(page, lms, "1.2", "p12/een.html", {"core": {"student_id": "bob"}})
    assert session.frame.locator("#een-r1-answer").input_value() == ""
    write(session.frame, "een-r1", "Van Bob")
    cmi = session.close()
    assert "ALICE" not in json.dumps(cmi) and "Alice" not in cmi["suspend_data"]
    assert "Van Bob" in cmi["suspend_data"]


def test_typing_reaches_the_lms_at_most_every_ten_seconds_and_all_of_it_on_leaving(page, lms):
    session = Session(page, lms, "1.2", "p12/een.html")
    write(session.frame, "een-r1", "Eerste zin.")
    page.wait_for_timeout(300)
    before = len(session.calls("LMSCommit"))
    for n in range(2, 7):
        write(session.frame, "een-r1", f"Zin {n}.")
        page.wait_for_timeout(450)
    assert len(session.calls("LMSCommit")) - before <= 1
    cmi = session.close()
    assert "Zin 6." in cmi["suspend_data"]


def test_an_lms_that_cuts_suspend_data_short_still_gets_a_readable_record(browser, lms):
    """Some LMSs store suspend_data cut at their own limit and still answer 'true'. The runtime reads
    the record back, fits it to that limit, and tells the learner the LMS keeps answers shortened."""
    context = browser.new_context()
    session = Session(context.new_page(), lms, "2004", "p2004/een.html", faults={"truncate": {"cmi.suspend_data": 400}})
    write(session.frame, "een-r1", LONG)
    answer_correctly(session.frame, "een-kc1")  # a check is saved at once, with the answer typed before it
    assert session.frame.locator("[data-scorm='truncated']").is_visible()
    cmi = session.close()
    context.close()
    record = json.loads(cmi["suspend_data"])
    assert len(cmi["suspend_data"]) <= 400
    assert record[3]["een-kc1"].endswith("+") and record[4]["een-r1"].endswith("…")

    other = browser.new_context()
    elsewhere = Session(other.new_page(), lms, "2004", "p2004/een.html", relaunch_data(cmi, "2004"))
    kept = elsewhere.frame.locator("#een-r1-answer").input_value()
    assert kept.endswith("…") and LONG.startswith(kept[:-1])
    assert "is-correct" in elsewhere.frame.locator("#een-kc1").get_attribute("class")
    other.close()


def test_a_record_cut_short_earlier_is_read_as_far_as_it_goes(browser, lms):
    """A record an LMS cut short before (an earlier runtime, or a cut made when the LMS stored it):
    on another device, what it still holds comes back, and the next save stores a whole record."""
    context = browser.new_context()
    session = Session(context.new_page(), lms, "1.2", "p12/een.html")
    answer_correctly(session.frame, "een-kc1")
    write(session.frame, "een-r1", "Eerst dit, dan de rest van mijn antwoord dat later is afgesneden.")
    cmi = session.close()
    context.close()
    whole = cmi["suspend_data"]
    cut = whole[:whole.index("dan de rest")]
    assert cut.endswith("Eerst dit, ")
    data = relaunch_data(cmi, "1.2")
    data["suspend_data"] = cut

    other = browser.new_context()
    elsewhere = Session(other.new_page(), lms, "1.2", "p12/een.html", data)
    assert elsewhere.frame.locator("#een-r1-answer").input_value() == "Eerst dit, …"
    assert "is-correct" in elsewhere.frame.locator("#een-kc1").get_attribute("class")
    again = elsewhere.close()
    other.close()
    assert json.loads(again["suspend_data"])[4]["een-r1"] == "Eerst dit, …"
