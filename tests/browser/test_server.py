"""The page's server without a browser: routes, security checks, deadlines, and the CLI's errors."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cnncalc.cli import main
from cnncalc.serve import Running, serving
from cnncalc.serve.security import MAX_BODY, Hosts
from cnncalc.serve.views import analysis_view, check_view, solve_view

ARTICLE = "input 32x32x3\nCONV1: conv 8 f=5 s=1\nPOOL1: maxpool f=2 s=2\n"


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    with serving(port=0, timeout=20) as r:
        yield r


def request(r: Running, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    port = r.server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": f"127.0.0.1:{port}"} | (headers or {})
    conn.request(method, path, body=body, headers=sent)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def post(r: Running, path: str, value: Any, **headers: str) -> tuple[int, Any]:
    port = r.server.server_address[1]
    base = {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json"}
    status, _, data = request(r, "POST", path, json.dumps(value).encode(), base | headers)
    return status, json.loads(data)


def test_the_page_and_its_files_are_served_with_a_strict_policy(running: Running) -> None:
    status, headers, body = request(running, "GET", "/")
    assert status == 200 and b'data-cnncalc="source"' in body and b'data-cnncalc="result"' in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    for name in ("app.js", "app.css"):
        assert request(running, "GET", f"/static/{name}")[0] == 200
    assert b"http://" not in request(running, "GET", "/static/app.js")[2]  # no CDN, no external request


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/index.html/../../views.py", "/etc/passwd",
                                  "/static/%2e%2e/server.py", "/api/nothing"])
def test_no_other_path_is_served(running: Running, path: str) -> None:
    assert request(running, "GET", path)[0] == 404


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "localhost.evil.example:{port}",
                                  "", "127.0.0.1:{port}@evil.example"])
def test_a_foreign_host_header_is_refused(running: Running, host: str) -> None:
    port = running.server.server_address[1]
    status, _, body = request(running, "GET", "/api/start", headers={"Host": host.format(port=port)})
    assert status == 403 and b"DNS rebinding" in body


def test_localhost_names_are_accepted(running: Running) -> None:
    port = running.server.server_address[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert request(running, "GET", "/api/start", headers={"Host": host})[0] == 200


@pytest.mark.parametrize("origin", [None, "http://evil.example", "null", "https://127.0.0.1:{port}",
                                    "http://127.0.0.1:1"])
def test_writes_from_another_origin_are_refused(running: Running, origin: str | None) -> None:
    port = running.server.server_address[1]
    headers = {"Content-Type": "application/json"} | ({"Origin": origin.format(port=port)} if origin else {})
    status, _, body = request(running, "POST", "/api/analyze", json.dumps({"text": ARTICLE}).encode(), headers)
    assert status == 403 and b"Origin" in body


def test_a_form_post_is_refused(running: Running) -> None:
    status, answer = post(running, "/api/analyze", {"text": ARTICLE}, **{"Content-Type": "text/plain"})
    assert status == 415 and "JSON" in answer["errors"][0]["message"]


def test_a_body_over_1_mb_is_refused_unread(running: Running) -> None:
    port = running.server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("POST", "/api/analyze", skip_host=True)
    for key, value in (("Host", f"127.0.0.1:{port}"), ("Origin", f"http://127.0.0.1:{port}"),
                       ("Content-Type", "application/json"), ("Content-Length", str(MAX_BODY + 1))):
        conn.putheader(key, value)
    conn.endheaders(b'{"text": "')  # the rest is never sent: the answer comes before the body is read
    resp = conn.getresponse()
    answer = json.loads(resp.read())
    conn.close()
    assert resp.status == 413 and "larger than 1,048,576 bytes" in answer["errors"][0]["message"]


def test_analyze_answers_the_table_and_the_formulas(running: Running) -> None:
    status, view = post(running, "/api/analyze", {"text": ARTICLE, "batch": "2"})
    assert status == 200 and view["ok"] and view["rows"] == 3
    assert "CONV1" in view["table"] and "<svg" in view["diagram"] + view["charts"]
    assert json.loads(view["formulas"])[1]["params"] == "((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608"
    assert any("batch 2" in line for line in view["totals"])


def test_the_live_table_comes_without_formulas_and_a_rows_are_asked_for(running: Running) -> None:
    """The page's table part leaves the formulas out (a third of its time); a selected number's row is asked
    for with the text and conventions the table was made from, and answered from the worker's last analysis."""
    asked = {"text": ARTICLE, "batch": "2", "part": "table"}
    _, table = post(running, "/api/analyze", asked)
    assert table["ok"] and table["formulas"] is None and 'data-i="1" data-k="params"' in table["table"]
    _, row = post(running, "/api/formulas", {**asked, "row": 1})
    _, every = post(running, "/api/analyze", {**asked, "part": "all"})
    assert row == {"ok": True, "row": 1, "name": "CONV1", "formulas": json.loads(every["formulas"])[1]}
    assert row["formulas"]["macs"] == "N·Ho·Wo·k·f·f·d = 2·28·28·8·5·5·3 = 940800"
    _, other = post(running, "/api/formulas", {"text": ARTICLE + "FC: dense 10\n", "row": 3})  # never analysed
    assert other["ok"] and other["name"] == "FC" and other["formulas"]["params"].endswith("= 15690")
    assert "no row 7: the table has 3" in post(running, "/api/formulas", {**asked, "row": 7})[1]["errors"][0][
        "message"]
    assert "row must be given" in post(running, "/api/formulas", asked)[1]["errors"][0]["message"]
    _, bad = post(running, "/api/formulas", {"text": ARTICLE + "BAD: conv 4 f=30\n", "row": 0})
    assert not bad["ok"] and bad["errors"][0]["line"] == 4


def test_an_impossible_layer_is_answered_at_its_line_with_fixes(running: Running) -> None:
    _, view = post(running, "/api/analyze", {"text": ARTICLE + "BAD: conv 4 f=30\n"})
    (err,) = view["errors"]
    assert not view["ok"] and (err["line"], err["column"]) == (4, 1)
    assert "BAD: conv 4 f=30\n  ^" in err["message"] and err["fixes"]


def test_bad_values_from_the_page_are_messages(running: Running) -> None:
    assert "must be text" in post(running, "/api/analyze", {"text": 3})[1]["errors"][0]["message"]
    assert "layout must be" in post(running, "/api/analyze", {"text": "", "layout": "x"})[1]["errors"][0]["message"]
    assert "whole number" in post(running, "/api/analyze", {"text": "", "batch": "1e9"})[1]["errors"][0]["message"]
    status, _, body = request(running, "POST", "/api/analyze", b"[1]", {
        "Origin": f"http://127.0.0.1:{running.server.server_address[1]}", "Content-Type": "application/json"})
    assert status == 400 and b"JSON object" in body


def test_a_path_sent_by_the_page_is_text_not_a_file(running: Running, tmp_path: Path) -> None:
    secret = tmp_path / "net.cnn"
    secret.write_text(ARTICLE)
    _, view = post(running, "/api/analyze", {"text": str(secret)})
    assert not view["ok"] and "<editor>:1:1" in view["errors"][0]["message"]
    _, view = post(running, "/api/check", {"table": "Layer | Params\nCONV1 | 608\n", "network": str(secret)})
    assert not view["ok"]


def test_check_and_solve_answer(running: Running) -> None:
    _, view = post(running, "/api/check", {"table": "| Layer | # Parameters |\n|---|---|\n| Input (32, 32, 3) | 0 |\n",
                                           "network": None})
    assert "errors" in view
    _, view = post(running, "/api/solve", {"mode": "size", "input": "224", "output": "112"})
    assert view["ok"] and "224 → 112" in view["html"]
    _, view = post(running, "/api/solve", {"mode": "size", "input": "224"})
    assert "give output" in view["errors"][0]["message"]


def test_every_analysis_is_time_bounded() -> None:
    text = (Path(__file__).resolve().parents[2] / "src/cnncalc/zoo/densenet121.cnn").read_text()
    with serving(port=0, timeout=0.05) as r:
        _, view = post(r, "/api/analyze", {"text": text})
        assert "stopped after 0.05 s" in view["errors"][0]["message"]
        r.server.app.workers.timeout = 30  # the pool replaced the killed worker and answers again
        _, view = post(r, "/api/analyze", {"text": ARTICLE})
        assert view["ok"]


def test_a_file_that_disappears_while_served_is_said_and_kept(tmp_path: Path) -> None:
    net = tmp_path / "net.cnn"
    net.write_text(ARTICLE)
    with serving(str(net), port=0) as r:
        first = json.loads(request(r, "GET", "/api/start")[2])
        net.write_text(ARTICLE + "FC: dense 10\n")
        assert json.loads(request(r, "GET", "/api/start")[2])["text"].endswith("FC: dense 10\n")
        net.unlink()
        gone = json.loads(request(r, "GET", "/api/start")[2])
    assert first["text"] == ARTICLE and first["notice"] is None
    assert gone["text"] == ARTICLE and "was deleted or moved while being served" in gone["notice"]


def test_views_take_text_only() -> None:
    assert analysis_view("input 4x4x1\nd: dense 2", layout="chw")["ok"]
    assert not analysis_view("input 4x4x1\nd: dense 2", dtype="float7")["ok"]
    table = (Path(__file__).resolve().parents[2] / "examples" / "article-table.tsv").read_text()
    assert check_view(table)["ok"] and 'data-status="ok"' in check_view(table)["html"]
    assert analysis_view("input 4x4x1\nd: dense 2", part="pictures").keys() >= {"diagram", "charts"}
    assert not solve_view("same", {"kernel": 0})["ok"]


# ---- the command line: errors are messages (exit status 2), never tracebacks ----

def test_a_bad_port_is_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert "a port is a whole number from 0 to 65535" in err and "Traceback" not in err


def test_a_port_in_use_is_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use" in err and "--port 0" in err and "Traceback" not in err


def test_another_host_needs_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "add --allow-remote" in capsys.readouterr().err


def test_a_missing_net_is_a_message(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["serve", str(tmp_path / "nope.cnn")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_a_remote_host_is_answered_with_a_warning() -> None:
    hosts = Hosts(8000, remote=True, names=frozenset({"box"}))
    assert hosts.host_ok("box:8000") and hosts.host_ok("10.0.0.2:8000") and not hosts.host_ok("evil.example:8000")


def test_serve_starts_prints_its_url_and_stops() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "cnncalc", "serve", "zoo:lenet5", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert "zoo:lenet5 at http://127.0.0.1:" in line
    finally:
        proc.send_signal(2)  # Ctrl-C
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err


def test_a_model_named_on_the_command_line_is_read_only_with_its_formulas() -> None:
    """A framework model (here the article's network as ONNX) is analysed at start, formulas included: the page
    never sends text for it, and the server refuses analyses and formulas of text while serving it."""
    pytest.importorskip("onnx")
    model = Path(__file__).resolve().parents[2] / "examples" / "article.onnx"
    with serving(str(model), port=0, timeout=20) as r:
        status, _, body = request(r, "GET", "/api/start")
        start = json.loads(body)
        assert status == 200 and start["readonly"] and start["result"]["ok"]
        assert json.loads(start["result"]["formulas"])[1]["params"].endswith("= 608")
        for path, extra in (("/api/analyze", {}), ("/api/formulas", {"row": 1})):
            _, view = post(r, path, {"text": ARTICLE, **extra})
            assert not view["ok"] and "read-only" in view["errors"][0]["message"]
