// cnncalc serve: the page. It sends text to the local server and shows what comes back; it computes nothing.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var source = $('source'), result = $('result'), statusEl = $('status'), gutter = $('gutter');
  var band = $('band'), mark = $('mark'), errorsEl = $('errors'), panel = $('formula');
  var formulas = [], names = [], shownAs = null;  // shownAs: the request whose table is shown
  var LH = 20, PAD = 6;

  var MAX_BODY = 1048576;  // the server refuses larger requests (413)
  function post(path, body) {
    var data = JSON.stringify(body);
    if (new Blob([data]).size > MAX_BODY) {
      return Promise.resolve({ok: false, errors: [{line: null, column: null,
        message: 'the text is larger than 1 MB, the most this page sends; use `cnncalc FILE` on the command line'}]});
    }
    return fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                        body: data, credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { return r.json(); });
  }

  // A "live" request: at most one in flight; keystrokes during it are sent together when it returns.
  function live(run, delay) {
    var timer = null, busy = false, again = false;
    function fire() {
      timer = null;
      if (busy) { again = true; return; }
      busy = true;
      run().catch(function (e) { statusEl.textContent = 'server unreachable: ' + e; })
        .then(function () { busy = false; if (again) { again = false; fire(); } });
    }
    return function () { if (timer) { clearTimeout(timer); } timer = setTimeout(fire, delay); };
  }

  // ---- the editor: line numbers, the error's line and column ----
  function lines() { return source.value.split('\n').length; }
  var badLine = null, badColumn = null;
  function drawGutter() {
    var n = lines(), out = [];
    for (var i = 1; i <= n; i++) { out.push(i === badLine ? '<span class="bad">' + i + '</span>' : String(i)); }
    gutter.innerHTML = out.join('\n') + '\n';
    gutter.scrollTop = source.scrollTop;
    placeBand();
  }
  var charWidth = null;
  function measure() {
    var s = document.createElement('span');
    s.style.cssText = 'position:absolute;visibility:hidden;white-space:pre;font:13px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace';
    s.textContent = '0000000000';
    document.body.appendChild(s);
    charWidth = s.getBoundingClientRect().width / 10;
    s.remove();
  }
  function placeBand() {
    if (badLine === null) { band.hidden = true; mark.hidden = true; return; }
    var top = PAD + (badLine - 1) * LH - source.scrollTop;
    band.hidden = false; band.style.top = top + 'px';
    if (badColumn) {
      if (charWidth === null) { measure(); }
      mark.hidden = false;
      mark.style.top = (top + LH - 3) + 'px';
      mark.style.left = (source.offsetLeft + 8 + (badColumn - 1) * charWidth - source.scrollLeft) + 'px';
    } else { mark.hidden = true; }
  }
  source.addEventListener('scroll', function () { gutter.scrollTop = source.scrollTop; placeBand(); });

  function offsetOf(line, column) {
    var parts = source.value.split('\n'), at = 0;
    for (var i = 0; i < line - 1 && i < parts.length; i++) { at += parts[i].length + 1; }
    return at + Math.max(0, (column || 1) - 1);
  }

  function showErrors(errors) {
    errorsEl.textContent = '';
    badLine = null; badColumn = null;
    (errors || []).forEach(function (e, i) {
      var box = document.createElement('div');
      box.className = 'error'; box.setAttribute('data-cnncalc', 'error');
      if (e.line) {
        box.setAttribute('data-line', e.line);
        box.setAttribute('data-column', e.column || 1);
        var go = document.createElement('button');
        go.type = 'button';
        go.textContent = 'line ' + e.line + ', column ' + (e.column || 1);
        go.addEventListener('click', function () {
          var at = offsetOf(e.line, e.column);
          source.focus(); source.setSelectionRange(at, at);
        });
        box.appendChild(go);
        if (i === 0) { badLine = e.line; badColumn = e.column; }
      }
      var pre = document.createElement('pre');
      pre.textContent = e.message + ((e.fixes && e.fixes.length && e.message.indexOf('fix: ') < 0)
        ? '\n' + e.fixes.map(function (f) { return '  fix: ' + f; }).join('\n') : '');
      box.appendChild(pre);
      errorsEl.appendChild(box);
    });
    errorsEl.setAttribute('role', errors && errors.length ? 'alert' : 'none');
    drawGutter();
  }

  // ---- the results pane: the table part and the pictures part come from two workers at once ----
  function showTable(view, asked) {
    $('totals').innerHTML = '';
    view.totals.forEach(function (t) {
      var d = document.createElement('div');
      d.textContent = t;
      if (t.indexOf('Conventions:') === 0) { d.className = 'conv'; }
      $('totals').appendChild(d);
    });
    var w = $('warnings'); w.textContent = '';
    view.warnings.forEach(function (t) { var li = document.createElement('li'); li.textContent = 'warning: ' + t; w.appendChild(li); });
    $('table').innerHTML = view.table;
    formulas = view.formulas ? JSON.parse(view.formulas) : [];  // the live table's come when a number is selected
    shownAs = asked || null;
    names = Array.prototype.map.call($('table').querySelectorAll('tbody th'), function (th) { return th.firstChild ? th.firstChild.textContent : ''; });
    result.classList.remove('stale');
    hideFormula();
  }
  function showPictures(view) {
    $('diagram').innerHTML = view.diagram;
    $('charts').innerHTML = view.charts;
    $('diagram').classList.remove('stale'); $('charts').classList.remove('stale');
  }
  function showResult(view) { showTable(view); showPictures(view); }

  var sent = {table: 0, pictures: 0}, typed = 0, typedAt = 0;
  function request(part) {
    var mine = ++sent[part], t0 = typedAt, keystroke = typed;
    var asked = {text: source.value, layout: $('layout').value || null, part: part,
                 batch: $('batch').value || null, dtype: $('dtype').value};
    return post('/api/analyze', asked)
      .then(function (view) {
        if (mine !== sent[part]) { return; }  // a newer text was sent meanwhile; wait for its answer
        if (part === 'pictures') {
          if (view.ok) { showPictures(view); } else { $('diagram').classList.add('stale'); $('charts').classList.add('stale'); }
          result.setAttribute('data-pictures', keystroke);
          return;
        }
        if (view.ok) { showTable(view, asked); } else { result.classList.add('stale'); }
        showErrors(view.errors);
        var ms = Math.round(performance.now() - t0);
        result.setAttribute('data-latency', ms);
        result.setAttribute('data-version', keystroke);
        statusEl.textContent = (view.ok ? view.rows + ' rows · ' : 'error · ') + 'analysed in ' + view.ms + ' ms, shown ' + ms + ' ms after the keystroke';
      });
  }
  var tableSoon = live(function () { return request('table'); }, 10);
  var picturesSoon = live(function () { return request('pictures'); }, 10);
  function analyze() { typed++; typedAt = performance.now(); tableSoon(); picturesSoon(); }
  source.addEventListener('input', function () { drawGutter(); analyze(); });
  ['layout', 'batch', 'dtype'].forEach(function (id) { $(id).addEventListener('change', analyze); });
  // ---- formulas: a number's on click or focus; a layer's when its name is selected ----
  var opening = 0;  // a formula asked of the server is shown only if nothing closed or replaced it meanwhile
  function hideFormula() { opening++; panel.hidden = true; }
  // a row's formulas: already here (a read-only page, or asked before), else asked of the server for the text
  // and conventions the shown table was made from
  function withFormulas(i, then) {
    if (formulas[i]) { then(formulas[i]); return; }
    if (!shownAs) { return; }
    var asked = shownAs;
    post('/api/formulas', {text: asked.text, layout: asked.layout, batch: asked.batch, dtype: asked.dtype, row: i})
      .then(function (v) {
        if (!v.ok || asked !== shownAs) { return; }  // a newer table is shown meanwhile
        formulas[i] = v.formulas;
        then(v.formulas);
      }).catch(function (e) { statusEl.textContent = 'server unreachable: ' + e; });
  }
  function unpick() {
    Array.prototype.forEach.call(document.querySelectorAll('tr.picked'), function (r) { r.classList.remove('picked'); });
  }
  function explainRow(i) { unpick(); withFormulas(i, function () { writeRow(i); }); }
  function writeRow(i) {
    var row = formulas[i] || {}, out = [names[i] || ''];
    Object.keys(row).forEach(function (k) { out.push(k + ': ' + row[k].split('\n').join('\n    ')); });
    $('explain').textContent = out.join('\n');
  }
  function showFormula(b) {
    var i = +b.getAttribute('data-i'), mine = ++opening;
    unpick();
    withFormulas(i, function (row) { if (mine === opening) { placeFormula(b, i, row[b.getAttribute('data-k')]); } });
  }
  function placeFormula(b, i, text) {
    if (!text || !document.body.contains(b)) { return; }
    panel.textContent = text; panel.hidden = false;
    var r = b.getBoundingClientRect();
    panel.style.left = Math.max(8, Math.min(r.left + window.scrollX, window.innerWidth - panel.offsetWidth - 8)) + 'px';
    panel.style.top = (r.bottom + window.scrollY + 4) + 'px';
    writeRow(i);
  }
  result.addEventListener('click', function (e) {
    var b = e.target.closest('button.q');
    if (b) { showFormula(b); return; }
    var th = e.target.closest('tbody th');
    if (th) {
      var rows = Array.prototype.indexOf.call(th.parentNode.parentNode.children, th.parentNode);
      explainRow(rows); th.parentNode.classList.add('picked');
    }
    hideFormula();
  });
  result.addEventListener('focusin', function (e) { if (e.target.matches('button.q')) { showFormula(e.target); } });
  result.addEventListener('scroll', hideFormula);
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { hideFormula(); } });

  // ---- tabs ----
  var tabs = ['net', 'check', 'solve'];
  function select(name) {
    tabs.forEach(function (t) {
      var on = t === name;
      $('t-' + t).setAttribute('aria-selected', on ? 'true' : 'false');
      $('t-' + t).tabIndex = on ? 0 : -1;
      $('p-' + t).hidden = !on;
    });
    hideFormula();
  }
  tabs.forEach(function (t, i) {
    $('t-' + t).addEventListener('click', function () { select(t); });
    $('t-' + t).addEventListener('keydown', function (e) {
      var d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (d) { var next = tabs[(i + d + tabs.length) % tabs.length]; select(next); $('t-' + next).focus(); }
    });
  });

  // ---- check a claimed table ----
  var checkEl = $('check');
  var checkSoon = live(function () {
    var table = $('claimed').value;
    if (!table.trim()) { return Promise.resolve(); }
    return post('/api/check', {table: table, network: $('against').checked ? source.value : null})
      .then(function (view) {
        checkEl.innerHTML = view.html || '';
        (view.errors || []).forEach(function (e) {
          var pre = document.createElement('pre'); pre.className = 'error'; pre.setAttribute('data-cnncalc', 'error');
          pre.textContent = e.message; checkEl.appendChild(pre);
        });
        checkEl.setAttribute('data-wrong', view.wrong === undefined ? '' : view.wrong);
      });
  }, 150);
  $('claimed').addEventListener('input', checkSoon);
  $('against').addEventListener('change', checkSoon);

  // ---- solve ----
  var form = $('solve-form'), solveEl = $('solve');
  var solveSoon = live(function () {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) { if (el.name && el.value !== '') { body[el.name] = el.value; } });
    return post('/api/solve', body).then(function (view) {
      solveEl.innerHTML = view.html || '';
      (view.errors || []).forEach(function (e) {
        var pre = document.createElement('pre'); pre.className = 'error'; pre.textContent = e.message; solveEl.appendChild(pre);
      });
    });
  }, 150);
  form.addEventListener('input', solveSoon);
  form.addEventListener('submit', function (e) { e.preventDefault(); solveSoon(); });

  // ---- start ----
  fetch('/api/start', {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (start) {
    $('label').textContent = start.label;
    if (start.notice) { $('notice').textContent = start.notice; $('notice').hidden = false; }
    source.value = start.text;
    drawGutter();
    if (start.readonly) {
      source.readOnly = true;
      source.value = '# ' + start.label + ' is a model named on the command line: its result is shown read-only.';
      showResult(start.result);
      statusEl.textContent = start.result.rows + ' rows (read-only)';
      result.setAttribute('data-version', 'start');
    } else {
      analyze();
    }
    solveSoon();
  }).catch(function (e) { statusEl.textContent = 'server unreachable: ' + e; });
})();
