"""The live page's keystroke-to-update time (target: under 100 ms for a 200-layer network).

Measured on a real ``cnncalc serve`` (in a thread, its worker processes started as in use):

1. **server**: ``POST /api/analyze`` with a changed text each time (a keystroke): the worker's own time (parse,
   analyse, render table + diagram + charts) and the HTTP round trip around it. Median and 90th
   percentile of ``--runs`` keystrokes, after one warm-up.
   The page asks for its two parts at once (the table with totals, its formulas asked for when a number is
   selected; the diagram and charts), each from its own worker, so a keystroke's update takes the longer of the
   two.
2. **browser** (when Playwright and Chromium are installed): a key typed into the page's editor until both
   parts are shown, the page's debounce (10 ms) included.

    python benchmarks/bench_serve.py [--runs 30] [--no-browser]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cnncalc.serve import Running, serving

ZOO = Path(__file__).resolve().parents[1] / "src" / "cnncalc" / "zoo"


def chain_200() -> str:
    """A 200-layer network written out layer by layer: 66 × (conv, batchnorm, relu), pooling, dense."""
    lines = ["network chain200", "input 64x64x16"]
    for i in range(66):
        lines += [f"c{i}: conv 16 f=3 p=1", f"b{i}: batchnorm", f"r{i}: relu"]
    return "\n".join(lines + ["gap: global_avgpool", "fc: dense 10"]) + "\n"


NETWORKS = {
    "chain of 200 layers": chain_200,
    "zoo:resnet50 (175 rows)": lambda: (ZOO / "resnet50.cnn").read_text(),
    "zoo:inception_v3 (324 rows)": lambda: (ZOO / "inception_v3.cnn").read_text(),
}


def post(r: Running, text: str, part: str) -> tuple[float, float, float, dict[str, object]]:
    port = r.server.server_address[1]
    req = urllib.request.Request(r.url + "api/analyze", data=json.dumps({"text": text, "part": part}).encode(),
                                 headers={"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}"})
    start = time.perf_counter()
    with urllib.request.urlopen(req) as resp:
        view = json.loads(resp.read())
    assert view["ok"], view
    return (time.perf_counter() - start) * 1000, float(view["ms"]), float(view["cpu_ms"]), view


def keystroke(r: Running, pool: ThreadPoolExecutor, text: str) -> dict[str, tuple[float, float, float]]:
    """Both parts at once, as the page asks for them: part → (round trip, worker wall clock, worker CPU)."""
    futures = {part: pool.submit(post, r, text, part) for part in ("table", "pictures")}
    return {part: f.result()[:3] for part, f in futures.items()}


def server_side(r: Running, runs: int) -> list[str]:
    out = ["| network | rows | worker CPU: table part | worker CPU: pictures part | keystroke → both parts "
           "answered (wall clock) |", "|---|---:|---:|---:|---:|"]
    with ThreadPoolExecutor(2) as pool:
        for name, make in NETWORKS.items():
            text = make()
            keystroke(r, pool, text)  # warm-up
            rows = int(str(post(r, text, "table")[3]["rows"]))
            table, pictures, both = [], [], []
            for i in range(runs):
                got = keystroke(r, pool, text + f"# keystroke {i}\n")
                table.append(got["table"][2])
                pictures.append(got["pictures"][2])
                both.append(max(got["table"][0], got["pictures"][0]))
            out.append(f"| {name} | {rows} | {_stats(table)} | {_stats(pictures)} | {_stats(both)} |")
    return out


def _stats(values: list[float]) -> str:
    p90 = sorted(values)[max(0, int(len(values) * 0.9) - 1)]
    return f"{statistics.median(values):.0f} ms ({p90:.0f} ms)"


KEY = """async (n) => {
  const src = document.querySelector('[data-cnncalc=source]'), res = document.querySelector('[data-cnncalc=result]');
  const times = [];
  for (let i = 0; i < n; i++) {
    const before = res.getAttribute('data-version');
    const t0 = performance.now();
    src.value += '#';
    src.dispatchEvent(new Event('input'));
    const shown = () => res.getAttribute('data-version') !== before
      && res.getAttribute('data-pictures') === res.getAttribute('data-version');
    while (!shown()) {
      await new Promise(r => setTimeout(r, 1));
    }
    await new Promise(r => requestAnimationFrame(() => r()));  // painted
    times.push(performance.now() - t0);
    await new Promise(r => setTimeout(r, 50));
  }
  return times;
}"""


def browser_side(r: Running, runs: int) -> list[str]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return ["(browser: playwright is not installed)"]
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        return ["(browser: chromium is not installed)"]
    out = ["| network | keystroke → table shown, median (p90) |", "|---|---:|"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(r.url)
        page.locator("[data-cnncalc=result] table").wait_for()
        for name, make in NETWORKS.items():
            page.evaluate("t => { const s = document.querySelector('[data-cnncalc=source]'); s.value = t; "
                          "s.dispatchEvent(new Event('input')); }", make())
            page.wait_for_timeout(1500)
            times = page.evaluate(KEY, runs)
            out.append(f"| {name} | {_stats(times)} |")
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--no-browser", action="store_true")
    a = ap.parse_args()
    with serving(port=0, timeout=30, workers=2) as r:
        print("\n".join(server_side(r, a.runs)))
        if not a.no_browser:
            print()
            print("\n".join(browser_side(r, a.runs)))


if __name__ == "__main__":
    main()
