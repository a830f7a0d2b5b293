"""The one road through the core: the source registry, located errors for every interface, --depth for text
blocks, the channels-first warning, and a lighter start (what `cnncalc FILE.cnn` imports)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cnncalc as cc
from cnncalc import sources
from cnncalc.analysis import totals_from_rows
from cnncalc.cli import main
from cnncalc.errors import ArgumentError, ShapeError
from cnncalc.locate import located
from cnncalc.sources import Frontend, Request, analyze_source, frontend_for, register_frontend

ROOT = Path(__file__).resolve().parents[1]


def test_registry_names_the_front_end_of_each_source(tmp_path: Path) -> None:
    cases = {"zoo:resnet50": "zoo", "net.cnn": "text", "-": "text", "net.json": "json", "model.pt": "pickle",
             "torchvision:resnet18": "torch", "timm:resnet50": "torch", "models/net.py:make": "torch",
             "pkg.models:build": "torch"}
    for source, name in cases.items():
        assert frontend_for(source).name == name, source
    assert frontend_for(str(tmp_path)).name == "text"  # a folder is no factory reference


def test_a_front_end_is_registered_once() -> None:
    with pytest.raises(RuntimeError, match="front-end 'zoo' is registered twice"):
        register_frontend(Frontend("zoo", "again", lambda s: False, "cnncalc.sources", "analyze_network_source"))


def test_a_new_front_end_needs_no_interface_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A front-end registered at run time is reached by the CLI with no CLI change."""
    module = tmp_path / "toy_frontend.py"
    module.write_text(
        "import cnncalc as cc\n"
        "from cnncalc.layers import Input, Dense\n"
        "def analyze_source(source, request):\n"
        "    n = int(source.split(':')[1])\n"
        "    net = cc.Network.chain(('x', Input((n,))), ('fc', Dense(2)))\n"
        "    return cc.analyze(net, request.conventions('hwc'))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sources, "FRONTENDS", list(sources.FRONTENDS))
    register_frontend(Frontend("toy", "toy:N", lambda s: s.startswith("toy:"), "toy_frontend", "analyze_source"),
                      before="text")
    assert main(["toy:7", "--format", "csv", "--columns", "name,params"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "fc,16"


def test_framework_options_are_refused_for_networks(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(cc.CnnCalcError, match=r"--input, --partial applies to framework models only"):
        analyze_source("zoo:article", Request(inputs=("1x3x32x32",), partial=True))


def test_depth_collapses_text_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    full = analyze_source("zoo:resnet18")
    one = analyze_source("zoo:resnet18", Request(depth=1))
    blocks = [r for r in one.rows if r.is_container]
    assert [r.name for r in blocks] == [f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
    assert [r.kind for r in blocks] == ["basic", "basic"] + ["basic_down", "basic"] * 3  # the blocks' definitions
    assert one.totals == full.totals and not any(r.blocks for r in one.rows if not r.is_container)
    for block in blocks:  # a block's row rolls up its layers and ends where its last layer ends
        inside = [r for r in full.rows if r.blocks[:1] == (block.name,)]
        assert block.params == sum(r.params for r in inside)
        assert block.macs.value == sum(r.macs.value for r in inside)
        assert block.output_shape == inside[-1].output_shape and block.is_container
    assert main(["zoo:resnet18", "--depth", "1", "--format", "csv", "--columns", "name,kind"]) == 0
    assert "layer1.0,basic\nlayer1.1,basic\nlayer2.0,basic_down" in capsys.readouterr().out
    assert totals_from_rows(full.rows, full.conventions) == full.totals
    dense = analyze_source("zoo:densenet121")
    assert len(analyze_source("zoo:densenet121", Request(depth=1)).rows) < len(dense.rows) // 5


def test_depth_must_be_whole_and_not_negative() -> None:
    with pytest.raises(ArgumentError, match=r"depth must be a whole number ≥ 0, got -1"):
        cc.analyze(cc.parse("input 4x4x3\nconv 8 3"), depth=-1)
    with pytest.raises(ArgumentError, match=r"depth must be a whole number ≥ 0, got 1.5"):
        cc.analyze(cc.parse("input 4x4x3\nconv 8 3"), depth=1.5)  # type: ignore[arg-type]


def test_channels_first_input_is_flagged() -> None:
    r = cc.analyze(cc.parse("input 3x224x224\nc: conv 64 f=7 s=2 p=3"))
    assert any("input 3x224x224 is read as (H, W, C) = (3, 224, 224)" in w and "layout=chw" in w
               for w in r.warnings)
    fixed = cc.analyze(cc.parse("input 3x224x224 layout=chw\nc: conv 64 f=7 s=2 p=3"))
    assert fixed.warnings == () and fixed["c"].output_shape.dims == (112, 112, 64) and fixed["c"].params == 9472
    for quiet in ("input 32x32x3", "input 1x1x512", "input 4x4x3", "input 3x224"):
        assert not cc.analyze(cc.parse(quiet + "\nrelu")).warnings, quiet


def test_errors_are_located_for_api_users_too(tmp_path: Path) -> None:
    path = tmp_path / "bad.cnn"
    path.write_text("input 4x4x3\nc1: conv 8 f=5\n")
    net = cc.load(str(path))
    with pytest.raises(ShapeError) as caught:
        cc.analyze(net)
    node = next(n for n in net.nodes if n.name == caught.value.layer)
    assert node.source is not None
    text = str(located(caught.value, node.source))  # the line is read from the file named by the source
    assert text.startswith(f"{path}:2:1: layer 'c1' on input (4, 4, 3): ")
    assert "\n  c1: conv 8 f=5\n  ^" in text and "hint:" in text and "fix: padding=" in text


def test_the_same_file_name_with_new_text_echoes_the_new_line(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """No text cache: a long-running process (the local page) re-reading a changed file shows the new line."""
    path = tmp_path / "net.cnn"
    for line in ("c1: conv 8 f=5", "big: conv 16 f=7"):
        path.write_text(f"input 4x4x3\n{line}\n")
        assert main([str(path)]) == 2
        assert f"\n  {line}\n" in capsys.readouterr().err


def test_result_explains_one_layout() -> None:
    r = cc.analyze(cc.parse("input 3x32x32 layout=chw\nc: conv 8 f=5"), layout="chw")
    assert r["c"].explain() == r.explain("c") and "output     (8, 28, 28)" in r["c"].explain()


#: what the article's table never needs: other commands, other renderers, kind families it does not use, and the
#: standard modules only a rarer path needs (JSON, a traceback, fractional fields, a zip, a progress thread)
NOT_ON_THE_TEXT_PATH = (
    "cnncalc.check", "cnncalc.solve", "cnncalc.adapters", "cnncalc.render.report", "cnncalc.render.diagram",
    "cnncalc.render.csv_out", "cnncalc.netjson", "cnncalc.analysis.training", "cnncalc.analysis.memory",
    "cnncalc.kinds.norm", "cnncalc.kinds.merge", "cnncalc.kinds.attention", "cnncalc.kinds.recurrent",
    "cnncalc.kinds.transpose", "cnncalc.kinds.resize", "cnncalc.kinds.measured", "torch",
    "json", "traceback", "fractions", "zipfile", "shutil", "threading", "pathlib", "difflib", "html",
)


def test_text_path_imports_only_what_it_uses() -> None:
    probe = ("import sys, io, contextlib\nat_start = set(sys.modules)\nimport cnncalc.cli as c\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n    code = c.main(['examples/article.cnn'])\n"
             "print(code, sorted(set(sys.modules) - at_start))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    code, _, mods = out.stdout.partition(" ")
    assert code == "0" and "'cnncalc.kinds.conv'" in mods
    for unused in NOT_ON_THE_TEXT_PATH:
        assert f"'{unused}'" not in mods, unused


def test_kind_families_load_when_first_used() -> None:
    """A kind's family is imported by the first look-up of one of its names, not before."""
    probe = ("import sys, cnncalc as cc\n"
             "before = 'cnncalc.kinds.recurrent' in sys.modules\n"
             "known = 'lstm' in cc.KINDS and 'lstm' in list(cc.KINDS)\n"
             "still = 'cnncalc.kinds.recurrent' in sys.modules\n"
             "r = cc.analyze(cc.parse('input 10x8\\nl: lstm 6'))\n"
             "print(before, known, still, 'cnncalc.kinds.recurrent' in sys.modules, r['l'].params)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "True", "False", "True", str(4 * (6 * 8 + 6 * 6 + 2 * 6))]


def test_json_rows_of_a_text_network_carry_their_blocks() -> None:
    rows = cc.analyze(cc.load(str(ROOT / "src/cnncalc/zoo/resnet18.cnn")), depth=1).to_dict()["layers"]
    assert json.loads(json.dumps(rows)) == rows
    assert any(r["kind"] == "basic" and r["is_container"] and r["depth"] == 0 for r in rows)
