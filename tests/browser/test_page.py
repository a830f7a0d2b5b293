"""The live page and the HTML report in a real browser (Chromium through Playwright; see conftest.py).

Screenshots are compared with the PNGs in tests/browser/golden/ within a tolerance (the share of pixels
that differ); ``CNNCALC_REGEN_GOLDEN=1`` rewrites them. The comparison runs in the browser (a canvas), so
no imaging library is needed.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cnncalc.cli import main
from cnncalc.serve import Running, serving

GOLDEN = Path(__file__).resolve().parent / "golden"
ROOT = Path(__file__).resolve().parents[2]
ARTICLE = (ROOT / "examples" / "article.cnn").read_text(encoding="utf-8")
#: the share of pixels that may differ from the reference (fonts' anti-aliasing, a scrollbar)
TOLERANCE = 0.02
CLAIMED = """\
| Layer            | Activation Shape | Activation Size | # Parameters |
|------------------|------------------|-----------------|--------------|
| Input            | (32, 32, 3)      | 3072            | 0            |
| CONV1 (f=5, s=1) | (28, 28, 8)      | 6272            | 600          |
| POOL1            | (14, 14, 8)      | 1568            | 0            |
| CONV2 (f=5, s=1) | (10, 10, 16)     | 1600            | 3216         |
| POOL2            | (5, 5, 16)       | 400             | 0            |
| FC3              | (120, 1)         | 120             | 48000        |
| FC4              | (84, 1)          | 84              | 10164        |
| Softmax          | (10, 1)          | 10              | 850          |
"""


@pytest.fixture(scope="module")
def article(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    net = tmp_path_factory.mktemp("serve") / "article.cnn"
    net.write_text(ARTICLE, encoding="utf-8")
    with serving(str(net), port=0, timeout=20) as r:
        yield r


def opened(page: Any, running: Running) -> Any:
    page.goto(running.url)
    page.locator("[data-cnncalc=result] tbody th", has_text="CONV1").wait_for()
    page.wait_for_function("() => { const r = document.querySelector('[data-cnncalc=result]'); "
                           "return r.dataset.pictures && r.dataset.pictures === r.dataset.version; }")
    return page


def type_at_end(page: Any, text: str) -> None:
    source = page.locator("[data-cnncalc=source]")
    source.focus()
    source.press("Control+End")
    page.keyboard.type(text)


def test_typing_a_layer_updates_the_table(page: Any, article: Running) -> None:
    opened(page, article)
    type_at_end(page, "extra: dense 7\n")
    row = page.locator("[data-cnncalc=result] tbody tr", has_text="extra")
    row.wait_for()
    assert "(7,)" in row.inner_text() and "77" in row.inner_text()  # 10·7 + 7 parameters
    assert not page.locator("[data-cnncalc=error]").count()
    assert page.errors == []


def test_an_impossible_layer_shows_its_line(page: Any, article: Running) -> None:
    opened(page, article)
    source = page.locator("[data-cnncalc=source]")
    source.fill(ARTICLE.replace("CONV2: conv 16 f=5 s=1", "CONV2: conv 16 f=25 s=1"))
    source.dispatch_event("input")
    error = page.locator("[data-cnncalc=error]")
    error.wait_for()
    line = next(i for i, t in enumerate(ARTICLE.splitlines(), 1) if t.startswith("CONV2:"))
    assert error.get_attribute("data-line") == str(line)
    text = error.inner_text()
    assert f"line {line}, column 1" in text and "CONV2: conv 16 f=25 s=1" in text and "fix:" in text
    assert page.locator("#gutter .bad").inner_text() == str(line)
    error.locator("button").click()  # goes to the line
    at = page.evaluate("() => document.querySelector('[data-cnncalc=source]').selectionStart")
    assert ARTICLE.replace("f=5 s=1\nPOOL2", "f=25 s=1\nPOOL2")[at:].startswith("CONV2:")


def test_a_pasted_table_highlights_the_wrong_cells(page: Any, article: Running) -> None:
    opened(page, article)
    page.locator("#t-check").click()
    page.locator("[data-cnncalc=claimed]").fill(CLAIMED)
    wrong = page.locator("[data-cnncalc=check] td.c-wrong")
    wrong.first.wait_for()
    cells = [(c.evaluate("td => td.parentNode.querySelector('th').textContent"), c.get_attribute("data-column"),
              c.inner_text().split()[0]) for c in wrong.all()]
    assert cells == [("CONV1 (f=5, s=1)", "params", "600"), ("FC3", "params", "48000")]
    diagnosis = page.locator("[data-cnncalc=check] .diagnoses").inner_text()
    assert "bias forgotten" in diagnosis and "608" in diagnosis
    assert page.locator("[data-cnncalc=check] td.c-ok").count() == 8 * 3 - 2


def test_the_solve_panel_answers(page: Any, article: Running) -> None:
    opened(page, article)
    page.locator("#t-solve").click()
    page.locator("[data-cnncalc=solve] table").wait_for()
    assert "224 → 112" in page.locator("[data-cnncalc=solve]").inner_text()


def test_a_number_opens_its_formula(page: Any, article: Running) -> None:
    opened(page, article)
    page.locator("[data-cnncalc=result] tbody tr", has_text="CONV1").locator("button.q", has_text="608").click()
    page.locator("#formula", has_text="((5·5·3) + 1)·8 = 608").wait_for()  # the row's formulas, asked for now
    assert "CONV1" in page.locator("[data-cnncalc=explain]").inner_text()
    source = page.locator("[data-cnncalc=source]")
    source.fill(source.input_value().replace("CONV1: conv 8 f=5", "CONV1: conv 6 f=5"))
    page.locator("[data-cnncalc=result] tbody tr", has_text="CONV1").locator("button.q", has_text="456").click()
    page.locator("#formula", has_text="((5·5·3) + 1)·6 = 456").wait_for()  # the new table's, not the old one's


def _report(tmp_path: Path, source: str, capsys: pytest.CaptureFixture[str]) -> Path:
    capsys.readouterr()
    assert main([source, "--format", "html"]) == 0
    out = tmp_path / "report.html"
    out.write_text(capsys.readouterr().out, encoding="utf-8")
    return out


@pytest.mark.parametrize("source", ["examples/article.cnn", "zoo:inception_v3"])
def test_the_report_opens_with_no_console_error_and_no_network_request(
        page: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str) -> None:
    out = _report(tmp_path, str(ROOT / source) if source.endswith(".cnn") else source, capsys)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    page.locator("button.q").first.focus()  # a number opens its formula on keyboard focus
    assert not page.locator("#formula").is_hidden()
    page.keyboard.press("Escape")
    assert page.locator("#formula").is_hidden()
    number = page.locator("button.q[data-k='params']").nth(1)  # CONV1's (the input's is a bare 0)
    number.click()  # and on click (the focus the click gives must not close it again)
    assert not page.locator("#formula").is_hidden() and "=" in page.locator("#formula").inner_text()
    number.click()  # a second click closes it
    assert page.locator("#formula").is_hidden()
    assert [u for u in requests if not u.startswith("file://")] == []
    assert page.errors == []


OVERLAPS = """svg => {
  const boxes = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim())
    .map(t => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, t.textContent]; })
    .filter(b => b[2] > b[0] && b[3] > b[1]).sort((a, b) => a[0] - b[0]);
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length && boxes[j][0] < boxes[i][2] - 0.5; j++) {
      const a = boxes[i], b = boxes[j];
      if (Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > 0.5) { found.push(a[4] + ' / ' + b[4]); }
    }
  }
  return [boxes.length, found.slice(0, 10)];
}"""


@pytest.mark.parametrize("name", ["inception_v3", "densenet121", "unet"])
def test_no_two_labels_of_a_diagram_overlap(page: Any, name: str) -> None:
    from cnncalc.render.diagram import render_svg
    from cnncalc.sources import analyze_source

    svg = render_svg(analyze_source(f"zoo:{name}"))
    page.set_content(f'<!doctype html><meta charset="utf-8"><body style="margin:0">{svg}</body>')
    count, overlaps = page.locator("svg").first.evaluate(OVERLAPS)
    assert count > 20 and overlaps == []


def _compare(page: Any, shot: bytes, name: str) -> None:
    """The share of pixels that differ from the golden PNG (by more than a small colour distance)."""
    golden = GOLDEN / name
    if os.environ.get("CNNCALC_REGEN_GOLDEN") == "1" or not golden.exists():
        if os.environ.get("CI") == "true" and not golden.exists():
            pytest.fail(f"{golden} is missing: regenerate with CNNCALC_REGEN_GOLDEN=1 and commit it")
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(shot)
        return
    urls = ["data:image/png;base64," + base64.b64encode(b).decode() for b in (shot, golden.read_bytes())]
    ratio = page.evaluate("""async ([a, b]) => {
      const load = src => new Promise((ok, bad) => {
        const i = new Image(); i.onload = () => ok(i); i.onerror = bad; i.src = src;
      });
      const [x, y] = await Promise.all([load(a), load(b)]);
      if (x.width !== y.width || x.height !== y.height) { return 1; }
      const data = img => { const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0); return g.getImageData(0, 0, c.width, c.height).data; };
      const p = data(x), q = data(y);
      let differ = 0;
      for (let i = 0; i < p.length; i += 4) {
        if (Math.abs(p[i] - q[i]) + Math.abs(p[i + 1] - q[i + 1]) + Math.abs(p[i + 2] - q[i + 2]) > 48) { differ++; }
      }
      return differ / (p.length / 4);
    }""", urls)
    assert ratio <= TOLERANCE, f"{name}: {ratio:.2%} of the pixels differ (regenerate with CNNCALC_REGEN_GOLDEN=1)"


def test_the_page_looks_as_it_did(page: Any, article: Running) -> None:
    opened(page, article)
    shot = page.screenshot(mask=[page.locator("#status"), page.locator("#label")], animations="disabled")
    page.goto("about:blank")
    _compare(page, shot, "page-article.png")


def test_the_report_looks_as_it_did(page: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _report(tmp_path, str(ROOT / "examples" / "article.cnn"), capsys)
    page.goto(out.as_uri())
    shot = page.screenshot(animations="disabled")
    page.goto("about:blank")
    _compare(page, shot, "report-article.png")
