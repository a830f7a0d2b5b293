"""Which Keras backend runs the symbolic shape inference, chosen before Keras is first imported.

Keras 3 reads ``KERAS_BACKEND`` (else ``~/.keras/keras.json``, else TensorFlow) once, at import. Nothing is
computed for real here, so any backend will do: when the user chose none and TensorFlow (Keras's default)
is not installed, the first installed of JAX and PyTorch is used instead of failing on a missing TensorFlow.
The tests use the PyTorch backend.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from ...errors import CnnCalcError

#: backends Keras 3 can run on, in the order tried when the user chose none
BACKENDS = ("tensorflow", "jax", "torch")


def _configured() -> str | None:
    """The backend the user chose: $KERAS_BACKEND, else the one in Keras's config file."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        config = json.loads((Path(base) / "keras.json").read_text())
    except (OSError, ValueError):
        return None
    chosen = config.get("backend") if isinstance(config, dict) else None
    return chosen if isinstance(chosen, str) else None


def choose_backend() -> str:
    """The backend Keras will use; sets ``KERAS_BACKEND`` when none was chosen and TensorFlow is missing."""
    chosen = _configured()
    if chosen and (os.environ.get("KERAS_BACKEND") or importlib.util.find_spec(chosen) is not None):
        return chosen
    # none chosen, or only Keras's config file names one that is not installed (Keras writes "tensorflow" there
    # on its first import, installed or not): take an installed backend
    found = next((b for b in BACKENDS if importlib.util.find_spec(b) is not None), None)
    if found is None:
        raise CnnCalcError("Keras 3 needs a backend (TensorFlow, JAX or PyTorch), and none is installed",
                           hint="pip install torch (or jax, or tensorflow); or set KERAS_BACKEND")
    if found != "tensorflow" and "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = found
    return found


def load_keras() -> Any:
    """The keras module (Keras 3), imported with a usable backend."""
    choose_backend()
    try:
        import keras
    except ModuleNotFoundError as err:
        missing = (err.name or "keras").split(".")[0]
        raise CnnCalcError(f"Keras needs {missing}, which is not installed",
                           hint="pip install 'cnncalc[keras]' and a backend, or set KERAS_BACKEND") from None
    version = getattr(keras, "__version__", "0")
    if int(version.split(".")[0]) < 3:
        raise CnnCalcError(f"cnncalc reads Keras 3 models; this is Keras {version}",
                           hint="pip install 'keras>=3'")
    return keras
