"""`cnncalc check` on real summaries, generated here by the libraries themselves (never typed by hand):
Keras 3's model.summary() (box drawing, names wrapped onto two lines, (None, …) shapes, the total lines) and
torchinfo's table (tree glyphs, a batch axis, channels first, container rows, the total lines)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnncalc.check import check
from cnncalc.cli import main

NET = """\
input 32x32x3
conv2d: conv 16 f=3 p=same
batch_normalization: batchnorm
re_lu: relu
max_pooling2d: maxpool 2
flatten: flatten
dense: dense 10 softmax
"""


def keras_summary(width: int) -> str:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    L = keras.layers
    model = keras.Sequential([keras.Input((32, 32, 3)), L.Conv2D(16, 3, padding="same", name="conv2d"),
                              L.BatchNormalization(name="batch_normalization"), L.ReLU(name="re_lu"),
                              L.MaxPooling2D(2, name="max_pooling2d"), L.Flatten(name="flatten"),
                              L.Dense(10, activation="softmax", name="dense")])
    lines: list[str] = []
    model.summary(line_length=width, print_fn=lambda text, line_break=True: lines.append(text))
    return "\n".join(lines)


@pytest.mark.parametrize("width", [80, 120])
def test_a_real_keras_summary_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str], width: int) -> None:
    text = keras_summary(width)
    if width == 80:  # the narrow layout wraps the long name onto a second line, as the issue reports
        assert "│ (BatchNormalization)" in text
    report = check(text, _net(tmp_path))
    (table,) = report.tables
    names = [r.layer for r in table.rows]
    assert names[1] == "batch_normalization (BatchNormalization)" and len(names) == 6 + 3
    assert report.ok and report.wrong == 0
    assert [r.layer for r in table.rows[-3:]] == ["Total params", "Trainable params", "Non-trainable params"]
    assert all(c.status == "ok" for r in table.rows[-3:] for c in r.cells)
    summary = tmp_path / "summary.txt"
    summary.write_text(text)
    assert main(["check", str(summary), "--net", str(tmp_path / "net.cnn")]) == 0


@pytest.mark.parametrize(("old", "new", "column"), [
    ("40,970", "40,960", "params"), ("(None, 16, 16, 16)", "(None, 15, 15, 16)", "shape"),
    ("Trainable params: 41,450", "Trainable params: 41,482", "params"),
])
def test_an_altered_cell_of_a_keras_summary_is_found(tmp_path: Path, old: str, new: str, column: str) -> None:
    text = keras_summary(80)
    assert old in text
    report = check(text.replace(old, new, 1), _net(tmp_path))
    wrong = [(r.layer, c.column) for t in report.tables for r in t.rows for c in r.cells if c.status == "wrong"]
    assert len(wrong) == 1 and wrong[0][1] == column


TORCH_NET = """\
input 3x32x32 layout=chw
Conv2d: conv 16 f=3 p=1
BatchNorm2d: batchnorm
ReLU: relu
MaxPool2d: maxpool 2
Flatten: flatten
Linear: dense 10
"""


def torchinfo_summary() -> str:
    torchinfo = pytest.importorskip("torchinfo")
    from torch import nn

    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.Sequential(nn.MaxPool2d(2), nn.Flatten()), nn.Linear(16 * 16 * 16, 10))
    return str(torchinfo.summary(model, input_size=(1, 3, 32, 32), verbose=0))


def test_a_real_torchinfo_table_passes(tmp_path: Path) -> None:
    text = torchinfo_summary()
    (tmp_path / "net.cnn").write_text(TORCH_NET)
    report = check(text, str(tmp_path / "net.cnn"))
    (table,) = report.tables
    assert report.ok, str(report)
    assert table.layout == "chw" and any("container rows" in n for n in table.notes)
    assert [r.layer for r in table.rows[-3:]] == ["Total params", "Trainable params", "Non-trainable params"]
    assert len(table.rows) == 6 + 3  # the model and the nested Sequential roll up: not layer rows


def test_an_altered_cell_of_a_torchinfo_table_is_found(tmp_path: Path) -> None:
    text = torchinfo_summary()
    (tmp_path / "net.cnn").write_text(TORCH_NET)
    for old, new in (("[1, 16, 16, 16]", "[1, 16, 15, 15]"), ("40,970", "40,960"),
                     ("Total params: 41,450", "Total params: 41,482")):
        assert old in text
        report = check(text.replace(old, new, 1), str(tmp_path / "net.cnn"))
        assert report.wrong == 1, (old, str(report))


def _net(tmp_path: Path) -> str:
    path = tmp_path / "net.cnn"
    path.write_text(NET)
    return str(path)
