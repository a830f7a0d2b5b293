"""`cnncalc resnet50.onnx` as a whole process: wall time, CPU time and peak RSS, and that torch is never imported.

The model is exported once with torch.onnx.export (TorchScript exporter, weights inline: a 98 MiB file), unless
--model names a file. Each run is a fresh process; the figures are medians. "baseline" is `python -c "import
onnx"`, the floor every ONNX tool pays.

    python benchmarks/bench_onnx.py [--runs 7] [--model path/to/model.onnx]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
t = time.perf_counter()
if sys.argv[1] == "cnncalc":
    import contextlib, io
    from cnncalc.cli import main
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = main([sys.argv[2]])
    assert code == 0 and "torch" not in sys.modules and "onnxruntime" not in sys.modules, code
else:
    import onnx
wall = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"in_process_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024}))
"""


def export(folder: Path) -> Path:
    import torch
    import torchvision  # type: ignore[import-untyped]

    path = folder / "resnet50.onnx"
    model = torchvision.models.resnet50(weights=None).eval()
    torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), str(path), dynamo=False)
    return path


def run(tool: str, model: Path, runs: int) -> dict[str, float]:
    rows = []
    for _ in range(runs):
        done = subprocess.run(["/usr/bin/time", "-f", "%e", sys.executable, "-c", CHILD, tool, str(model)],
                              capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        figures["wall_s"] = float(done.stderr.strip().splitlines()[-1])
        rows.append(figures)
    return {key: statistics.median(r[key] for r in rows) for key in rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or export(Path(tmp))
        size = model.stat().st_size / 2**20
        print(f"model: {model.name}, {size:.1f} MiB; median of {args.runs} runs")
        print("| command | wall s | CPU s | peak RSS MiB |")
        print("|---|---:|---:|---:|")
        for tool, label in (("baseline", 'python -c "import onnx"'), ("cnncalc", f"cnncalc {model.name}")):
            f = run(tool, model, args.runs)
            print(f"| `{label}` | {f['wall_s']:.2f} | {f['cpu_s']:.2f} | {f['rss_mib']:.1f} |")


if __name__ == "__main__":
    main()
