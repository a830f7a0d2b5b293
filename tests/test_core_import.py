"""The core is framework-free: importing and using cnncalc must not import torch, onnx, keras or numpy."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_core_imports_and_runs_with_frameworks_blocked() -> None:
    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"torch", "onnx", "keras", "numpy", "tensorflow", "onnxruntime"}:
                    raise ImportError(f"blocked: {name}")
                return None
        sys.meta_path.insert(0, Block())
        import cnncalc
        from cnncalc.layers import Input, Conv, Dense
        r = cnncalc.analyze(cnncalc.Network.chain(Input((32, 32, 3)), Conv(8, 5), Dense(10)))
        str(r); r.to_dict(); r._repr_html_()
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "onnx", "keras", "numpy"})
        print("LOADED", loaded, r.totals.params)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "LOADED [] 63338" in out.stdout  # 608 + 28·28·8·10 + 10
