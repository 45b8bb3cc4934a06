"""Load d2l 1.0.3's attention definitions as an independent reference.

``import d2l.torch`` needs torchvision, pandas, scipy and requests, and the
d2l release pins old numpy and matplotlib. The test set-up therefore
installs ``d2l==1.0.3`` with ``--no-deps``, and this module parses
``d2l/torch.py`` and executes only the definitions the tests compare
against, with the few names they use.
"""

from __future__ import annotations

import ast
import collections
import importlib.util
import math
import types
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

D2L_VERSION = "1.0.3"


def d2l_source_path() -> Path:
    """Path of ``d2l/torch.py``; raises if d2l is not installed."""
    spec = importlib.util.find_spec("d2l")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "d2l is not installed: run `make setup-dev` "
            f"(it installs d2l=={D2L_VERSION} with --no-deps)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "torch.py"


def load_d2l(*names: str) -> types.SimpleNamespace:
    """Execute the named top-level definitions of ``d2l/torch.py``.

    Returns a namespace holding them, with ``d2l.Module``, ``d2l.Encoder``
    and ``d2l.Decoder`` standing in as ``nn.Module`` (the attention classes
    use nothing else of them).
    """
    tree = ast.parse(d2l_source_path().read_text())
    wanted = set(names)
    nodes = [
        node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted
    ]
    missing = wanted - {node.name for node in nodes}
    if missing:
        raise LookupError(f"d2l/torch.py has no top-level {sorted(missing)}")
    d2l = types.SimpleNamespace(
        Module=nn.Module,
        Encoder=nn.Module,
        Decoder=nn.Module,
        zeros=torch.zeros,
        arange=torch.arange,
        numpy=lambda x: x.detach().numpy(),
    )
    namespace = {
        "torch": torch,
        "nn": nn,
        "F": F,
        "np": np,
        "math": math,
        "collections": collections,
        "d2l": d2l,
    }
    module = ast.Module(body=nodes, type_ignores=[])
    exec(compile(module, str(d2l_source_path()), "exec"), namespace)
    for name in names:
        setattr(d2l, name, namespace[name])
    return d2l
