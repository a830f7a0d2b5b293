"""The report's inline stylesheet and script (shipped in the package: the report makes no network request).

The script is one delegated listener: a click on, or keyboard focus of, a number shows its formula in one
shared panel (``#formula``, a polite live region) placed under the number; Escape hides it. Formulas are read
from one JSON block, so a 2,000-row table carries no per-cell script and no hidden per-cell elements.
"""

CSS = """
:root{--fg:#111;--muted:#555;--line:#ccc;--accent:#1a56b3;--warn:#9a4a00;--bad:#b00020;--bg:#fff}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:1rem 1.25rem 3rem;color:var(--fg);background:var(--bg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .25rem}
.lede{color:var(--muted);margin:0}
dl.totals{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.totals dt{font-weight:600}dl.totals dd{margin:0;font-variant-numeric:tabular-nums}
ul.warnings{padding-left:1.2rem}ul.warnings li{color:var(--warn)}
.figure{overflow:auto;max-height:80vh;border:1px solid var(--line);border-radius:4px;padding:.5rem;background:#fff}
.figure svg{display:block;max-width:none}
.note{color:var(--muted);font-size:.9rem}
.tablewrap{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.9rem;width:100%}
caption{text-align:left;color:var(--muted);padding:.25rem 0}
th,td{padding:.2rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
thead th{position:sticky;top:0;background:#f5f5f5;border-bottom:2px solid var(--line);text-align:left}
th.r,td.r{text-align:right}tbody th{font-weight:normal;text-align:left;white-space:nowrap}
td.na{color:#999;text-align:center}
tr.container{background:#fafafa;font-style:italic}
tr.unmodelled{background:#fff3f3}tr.warned{background:#fff8e6}
.badge{display:inline-block;font-size:.75rem;padding:0 .35rem;margin-left:.35rem;border-radius:3px;
border:1px solid currentColor;font-style:normal}
.badge.unmodelled{color:var(--bad)}.badge.warned{color:var(--warn)}
button.q{font:inherit;color:var(--accent);background:none;border:0;padding:0;margin:0;cursor:pointer;
text-decoration:underline dotted;text-underline-offset:2px}
button.q:hover{text-decoration-style:solid}
button.q:focus-visible,a:focus-visible{outline:3px solid #f9a825;outline-offset:1px;border-radius:2px}
#formula{position:absolute;z-index:5;max-width:min(90vw,46rem);background:#fffef5;border:1px solid #c9b458;
border-radius:4px;padding:.4rem .6rem;box-shadow:0 2px 8px rgba(0,0,0,.15);font:13px/1.4 ui-monospace,
"DejaVu Sans Mono",Menlo,Consolas,monospace;white-space:pre-wrap}
#formula[hidden]{display:none}
.d1 th:first-child{padding-left:1.2rem}.d2 th:first-child{padding-left:2rem}.d3 th:first-child{padding-left:2.8rem}
.d4 th:first-child{padding-left:3.6rem}
@media print{
body{max-width:none;padding:0;font-size:10pt}
.figure{max-height:none;overflow:visible;border:0;page-break-inside:avoid}
.figure svg{max-width:100%;height:auto}
thead{display:table-header-group}tr{page-break-inside:avoid}
thead th{position:static}
button.q{color:inherit;text-decoration:none}
#formula,.screen-only{display:none!important}
h2{page-break-after:avoid}
}
"""

JS = """
(function(){
  var data = JSON.parse(document.getElementById('formulas').textContent);
  var panel = document.getElementById('formula');
  var current = null;
  function show(b){
    var row = data[+b.getAttribute('data-i')] || {};
    var text = row[b.getAttribute('data-k')];
    if (!text) { return; }
    panel.textContent = text;
    panel.hidden = false;
    var r = b.getBoundingClientRect();
    panel.style.left = Math.max(8, Math.min(r.left + window.scrollX, document.documentElement.scrollWidth
      - panel.offsetWidth - 8)) + 'px';
    panel.style.top = (r.bottom + window.scrollY + 4) + 'px';
    b.setAttribute('aria-expanded', 'true');
    if (current && current !== b) { current.setAttribute('aria-expanded', 'false'); }
    current = b;
  }
  function hide(){
    panel.hidden = true;
    if (current) { current.setAttribute('aria-expanded', 'false'); current = null; }
  }
  var focused = null;  // shown by the focus that this same click gave: the click must not hide it again
  document.addEventListener('click', function(e){
    var b = e.target.closest ? e.target.closest('button.q') : null;
    if (b) { if (current === b && !panel.hidden && focused !== b) { hide(); } else { show(b); } }
    else if (!panel.contains(e.target)) { hide(); }
    focused = null;
  });
  document.addEventListener('focusin', function(e){
    if (e.target.matches && e.target.matches('button.q')) { show(e.target); focused = e.target; }
  });
  document.addEventListener('keydown', function(e){ if (e.key === 'Escape') { hide(); } });
})();
"""

#: the Jupyter variant's styles, scoped to its container (a notebook's page must not change)
COMPACT_CSS = (
    ".cnncalc table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:12px}"
    ".cnncalc th,.cnncalc td{padding:1px 6px;border-bottom:1px solid #eee}"
    ".cnncalc th{text-align:left}.cnncalc .r{text-align:right}"
    ".cnncalc td[title]{text-decoration:underline dotted;cursor:help}"
    ".cnncalc tr.unmodelled{background:#fff3f3}.cnncalc tr.warned{background:#fff8e6}"
    ".cnncalc .muted{color:#555;font-size:12px}.cnncalc .warn{color:#9a4a00}"
)
