"""Every tensor a lesson makes after ``try_device()`` lives on that device.

Most students run the lessons on a GPU (CUDA) or Apple's MPS, which this
machine does not have. PyTorch's ``FakeTensorMode`` stands in for one: under
it ``torch.randn(3, device="cuda:0")`` is a tensor with a shape, a dtype and
the device ``cuda:0`` but no data, and an operation that mixes it with a CPU
tensor raises, as on a real GPU. The harness here runs code on that fake
device:

- :func:`fake_device` is the context: ``try_device()`` returns the fake
  ``cuda:0``, ``Module.to`` moves a model's parameters there, and the input
  checks are skipped as under ``torch.compile`` (they read values, which fake
  tensors do not have).
- A fake tensor has no values, so whatever reads one (``.item()``, ``bool``,
  ``.tolist()``, ``.numpy()``) gets a stand-in value (ones) instead, and a
  statement that reads more than :data:`VALUE_READS_PER_STATEMENT` values
  (a training loop) is stopped there: its first steps ran on the device.
- Gradients are not computed on the fake device (autograd asks for a CUDA
  device guard, which a CPU build lacks): ``backward()`` does nothing there,
  so a training step checks its forward pass and loss, not its update.
- :func:`run_lesson` runs a lesson's code cells, statement by statement, and
  reports each statement: ran, stopped (budget), skipped (it needed real
  values or names a skipped statement should have made) or **device**: an
  operation mixed devices. Only the last is a failure.

A lesson joins these tests by calling ``try_device()`` in its code; its own
test below then checks that its device code ran (every statement naming the
device, and most of the rest), not only that nothing failed. Package code is
checked on its own in the tests at the end.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch._subclasses.fake_tensor import (
    FakeTensor,
    FakeTensorDeviceMismatchError,
    FakeTensorMode,
)
from torch.overrides import TorchFunctionMode

import attn_course.support.device
from conftest import REPO_ROOT

pytestmark = pytest.mark.own_process

FAKE_DEVICE = torch.device("cuda", 0)  # "cuda" without an index needs a real GPU
VALUE_READS_PER_STATEMENT = 30
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (REPO_ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb")
)
DEVICE_ERROR = re.compile(
    r"same device|different devices|found two different devices|CPU int64 tensor|"
    r"device mismatch|expected .*device",
    re.IGNORECASE,
)


class ValueBudgetSpent(BaseException):
    """A statement read more fake values than its budget: stop it (not an Exception,
    so a lesson's ``except Exception`` cannot swallow it)."""


class _Reads:
    count = 0
    budget = VALUE_READS_PER_STATEMENT


def _stand_in(tensor: FakeTensor, counted: bool = True) -> Any:
    """The value a fake tensor pretends to hold: ones (True for bool). Reads that a loop
    makes at every step (``item``, ``bool``, ``tolist``) count towards the budget; the
    integer reads of shape and length checks do not."""
    _Reads.count += counted
    if _Reads.count > _Reads.budget:
        raise ValueBudgetSpent
    if tensor.dtype == torch.bool:
        return True
    return 1.0 if tensor.is_floating_point() else 1


def _nested(tensor: FakeTensor) -> Any:
    """``tolist()``: nested lists of stand-in values, in the tensor's shape."""
    value = _stand_in(tensor)

    def build(shape: tuple[int, ...]) -> Any:
        return value if not shape else [build(shape[1:]) for _ in range(shape[0])]

    return build(tuple(tensor.shape))


_VALUE_READERS: dict[str, Callable[..., Any]] = {
    "item": lambda self: _stand_in(self),
    "__bool__": lambda self: bool(_stand_in(self)),
    "__int__": lambda self: int(_stand_in(self, counted=False)),
    "__index__": lambda self: int(_stand_in(self, counted=False)),
    "__float__": lambda self: float(_stand_in(self)),
    "tolist": _nested,
    "numpy": lambda self, *args, **kwargs: np.ones(
        tuple(self.shape), dtype=bool if self.dtype == torch.bool else np.float32
    ),
}


# Real PyTorch lets these mix a CPU tensor with a device tensor: moving and copying
# between devices, and CPU index tensors.
MIXING_ALLOWED = {
    torch.Tensor.to, torch.Tensor.cpu, torch.Tensor.cuda, torch.Tensor.copy_,
    torch.Tensor.__getitem__, torch.Tensor.__setitem__, torch.Tensor.type_as,
}  # fmt: skip


class DeviceMixError(RuntimeError):
    """An operation received tensors on two devices."""


def _fake_tensors(tree: Any) -> list[FakeTensor]:
    leaves, _ = torch.utils._pytree.tree_flatten(tree)
    return [leaf for leaf in leaves if isinstance(leaf, FakeTensor)]


class _DeviceChecks(TorchFunctionMode):
    """Check every torch call for mixed devices, then run it with the fake CUDA tensors
    relabelled as ``meta`` (so no CUDA device guard, absent from a CPU build, is asked
    for) and label the results CUDA again."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        inputs = _fake_tensors((args, kwargs))
        if func not in MIXING_ALLOWED:
            devices = {str(t.fake_device) for t in inputs if t.dim() > 0}
            if len(devices) > 1:
                name = getattr(func, "__qualname__", None) or getattr(func, "__name__", func)
                raise DeviceMixError(f"{name} got tensors on different devices: {devices}")
        moved = [t for t in inputs if t.fake_device.type == "cuda"]
        for t in moved:
            t.fake_device = torch.device("meta")
        try:
            result = func(*args, **kwargs)
        finally:
            for t in moved:
                t.fake_device = FAKE_DEVICE
        for t in _fake_tensors(result):
            if t.fake_device.type == "meta":
                t.fake_device = FAKE_DEVICE
        return result


def _move_module(module: nn.Module, device: torch.device) -> nn.Module:
    """``module.to(device)`` for fake parameters, which ``Module.to`` cannot swap."""
    for sub in module.modules():
        for name, param in list(sub._parameters.items()):
            if param is not None and param.device != device:
                # No gradients on the fake device: autograd asks for a CUDA device guard.
                moved = param.detach().to(device)
                sub._parameters[name] = nn.Parameter(moved, requires_grad=False)
        for name, buffer in list(sub._buffers.items()):
            if buffer is not None and buffer.device != device:
                sub._buffers[name] = buffer.to(device)
        if isinstance(sub, nn.RNNBase):
            sub._init_flat_weights()
    return module


def _fake_pack(input, lengths, batch_first=False, enforce_sorted=True):  # noqa: A002
    """``pack_padded_sequence`` whose output shape does not depend on the lengths' values.

    It keeps the real function's device rule (the lengths live on the CPU) and
    hands the padded tensor on, so the GRU after it still runs on the fake device.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.device.type != "cpu" or lengths.dtype != torch.int64 or lengths.dim() != 1:
        raise RuntimeError(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{lengths.dim()}D {lengths.device} {lengths.dtype} tensor"
        )
    return _FakePacked(input if batch_first else input.transpose(0, 1))


@dataclass
class _FakePacked:
    padded: torch.Tensor  # (batch, steps, features)


def _fake_pad(sequence, batch_first=False, padding_value=0.0, total_length=None):
    padded = sequence.padded if isinstance(sequence, _FakePacked) else sequence
    return (padded if batch_first else padded.transpose(0, 1)), None


def _gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step in plain tensor operations (the fused kernels have no fake version)."""
    gates_x = x @ w_ih.T + (0 if b_ih is None else b_ih)  # (batch, 3 * hidden)
    gates_h = h @ w_hh.T + (0 if b_hh is None else b_hh)
    x_r, x_z, x_n = gates_x.chunk(3, dim=-1)
    h_r, h_z, h_n = gates_h.chunk(3, dim=-1)
    reset, update = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    return (1 - update) * torch.tanh(x_n + reset * h_n) + update * h  # (batch, hidden)


def _cell_forward(self, input, hx=None):  # noqa: A002
    if hx is None:
        hx = torch.zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
    return _gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


def _gru_forward(self, input, hx=None):  # noqa: A002
    """``nn.GRU.forward`` in plain operations, for padded or stand-in packed input."""
    packed = isinstance(input, _FakePacked)
    X = input.padded if packed else (input if self.batch_first else input.transpose(0, 1))
    directions = 2 if self.bidirectional else 1
    if hx is None:
        shape = (self.num_layers * directions, X.shape[0], self.hidden_size)
        hx = torch.zeros(shape, dtype=X.dtype, device=X.device)
    last = []
    for layer in range(self.num_layers):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            weights = [getattr(self, f"{kind}{suffix}", None)
                       for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]  # fmt: skip
            h = hx[layer * directions + direction]
            steps = range(X.shape[1] - 1, -1, -1) if direction else range(X.shape[1])
            states = {}
            for t in steps:
                h = states[t] = _gru_cell(X[:, t], h, *weights)
            outputs.append(torch.stack([states[t] for t in range(X.shape[1])], dim=1))
            last.append(h)
        X = torch.cat(outputs, dim=-1)  # (batch, steps, directions * hidden)
    if packed:
        return _FakePacked(X), torch.stack(last)
    return (X if self.batch_first else X.transpose(0, 1)), torch.stack(last)


@contextlib.contextmanager
def fake_device(value_reads: int = VALUE_READS_PER_STATEMENT) -> Iterator[FakeTensorMode]:
    """Run the body on a fake ``cuda:0`` (see the module docstring), stopping it after
    ``value_reads`` reads of a fake value."""
    patches: list[tuple[Any, str, Any]] = [
        (attn_course.support.device, "try_device", lambda: FAKE_DEVICE),
        (nn.utils.rnn, "pack_padded_sequence", _fake_pack),
        (nn.utils.rnn, "pad_packed_sequence", _fake_pad),
        (nn.GRU, "forward", _gru_forward),
        (nn.GRUCell, "forward", _cell_forward),
        *((FakeTensor, name, reader) for name, reader in _VALUE_READERS.items()),
        (FakeTensor, "backward", lambda self, *args, **kwargs: None),
        # The input checks read values, which fake tensors do not have: skip them, as
        # torch.compile does when it traces with fake tensors.
        (torch.compiler, "is_compiling", lambda: True),
    ]
    original_to = nn.Module.to

    def module_to(self: nn.Module, *args: Any, **kwargs: Any) -> nn.Module:
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None and device.type == "cuda":
            return _move_module(self, device)
        return original_to(self, *args, **kwargs)

    patches.append((nn.Module, "to", module_to))
    saved = [(owner, name, owner.__dict__.get(name, _MISSING)) for owner, name, _ in patches]
    for owner, name, value in patches:
        setattr(owner, name, value)
    _Reads.count, _Reads.budget = 0, value_reads
    try:
        with warnings.catch_warnings(), _quiet("torch._subclasses.fake_tensor"):
            warnings.filterwarnings("ignore", message=".*cuDNN.*")
            with FakeTensorMode(allow_non_fake_inputs=True) as mode, _DeviceChecks():
                yield mode
    finally:
        for owner, name, value in saved:
            if value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)


_MISSING = object()


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence a logger (fake tensors log the errors the harness expects)."""
    logger = logging.getLogger(logger_name)
    before, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = before


def is_device_error(error: BaseException) -> bool:
    """Did ``error`` come from mixing devices?"""
    return isinstance(error, (DeviceMixError, FakeTensorDeviceMismatchError)) or bool(
        DEVICE_ERROR.search(str(error))
    )


@dataclass
class Outcome:
    cell: int
    line: int
    source: str  # the statement
    status: str  # "ran", "stopped", "skipped" or "device"
    detail: str = ""


def bound_names(code: str) -> set[str]:
    """The names a statement assigns (so that a skipped one leaves no stale value)."""
    return {
        node.id for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }  # fmt: skip


def run_statement(code: str, namespace: dict, cell: int, line: int) -> Outcome:
    """Run one statement on the fake device (the caller holds :func:`fake_device`).

    A statement that does not finish unbinds the names it assigns: a later statement
    then skips for want of them rather than run on a stale value of an earlier cell.
    """
    _Reads.count = 0
    try:
        exec(compile(code, f"<cell {cell}>", "exec"), namespace)  # noqa: S102
        return Outcome(cell, line, code, "ran")
    except ValueBudgetSpent:
        outcome = Outcome(cell, line, code, "stopped", "value budget spent")
    except Exception as error:  # a statement that needs real values is skipped
        status = "device" if is_device_error(error) else "skipped"
        outcome = Outcome(cell, line, code, status, f"{type(error).__name__}: {error}"[:300])
    for name in bound_names(code):
        namespace.pop(name, None)
    return outcome


def code_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (index, "".join(cell["source"]))
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "code"
    ]


def run_lesson(path: Path) -> list[Outcome]:
    """Run every code cell of a lesson on the fake device, statement by statement."""
    import matplotlib.pyplot as plt

    namespace: dict = {"__name__": "__main__"}
    outcomes = []
    with fake_device(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plots of stand-in values warn
        for index, source in code_cells(path):
            lines = [line if not line.lstrip().startswith(("%", "!")) else "" for line in
                     source.splitlines()]  # fmt: skip
            tree = ast.parse("\n".join(lines))
            for node in tree.body:
                code = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    decorators = [lines[d.lineno - 1] for d in node.decorator_list]
                    code = "\n".join(decorators + [code]) if decorators else code
                outcomes.append(run_statement(code, namespace, index, node.lineno))
            plt.close("all")
    return outcomes


def device_lessons() -> list[Path]:
    """The lessons and solutions notebooks whose code calls ``try_device()``."""
    return [
        path for path in NOTEBOOKS
        if any("try_device()" in source for _, source in code_cells(path))
    ]  # fmt: skip


def describe(outcomes: list[Outcome], statuses: tuple[str, ...]) -> str:
    return "\n".join(
        f"cell {o.cell} line {o.line} [{o.status}] {o.source.strip().splitlines()[0][:80]} "
        f":: {o.detail}"
        for o in outcomes if o.status in statuses
    )  # fmt: skip


# --- the harness itself ---------------------------------------------------------


def test_the_fake_device_catches_a_cpu_tensor():
    with fake_device():
        on_device = torch.randn(3, 4, device=FAKE_DEVICE)
        outcome = run_statement("on_device * torch.randn(3, 4)", {"on_device": on_device,
                                "torch": torch}, 0, 1)  # fmt: skip
        assert outcome.status == "device", outcome
        assert run_statement("x * torch.ones(3, 4, device=x.device)", {"x": on_device,
                             "torch": torch}, 0, 1).status == "ran"  # fmt: skip


def test_value_reads_get_stand_ins_and_loops_are_stopped():
    with fake_device():
        x = torch.randn(2, 3, device=FAKE_DEVICE)
        assert bool(x.all()) is True and x.sum().item() == 1.0 and len(x.tolist()) == 2
        namespace = {"x": x}
        assert run_statement("while True: x.sum().item()", namespace, 0, 1).status == "stopped"


def test_modules_move_to_the_fake_device_and_back():
    from attn_course.support.device import try_device

    with fake_device():
        layer = nn.GRU(4, 3, batch_first=True).to(attn_course.support.device.try_device())
        outputs, _ = layer(torch.randn(2, 5, 4, device=FAKE_DEVICE))
        assert outputs.device == FAKE_DEVICE
    assert try_device() != FAKE_DEVICE and "item" not in FakeTensor.__dict__


def test_run_lesson_finds_a_cpu_tensor_in_a_cell(tmp_path):
    """A two-cell lesson with the bug lesson 05 had, and the same lesson fixed."""

    def lesson(second_cell: str) -> Path:
        cells = [
            "import torch\nfrom attn_course.support.device import try_device\n\n"
            "device = try_device()",
            "model_output = torch.ones(4, 3, device=device)\n" + second_cell,
        ]
        path = tmp_path / f"lesson_{len(list(tmp_path.iterdir()))}.ipynb"
        path.write_text(json.dumps({"cells": [
            {"cell_type": "code", "source": source, "metadata": {}} for source in cells
        ]}))  # fmt: skip
        return path

    stack = "both = torch.stack([model_output, gold])"
    broken = run_lesson(lesson("gold = torch.zeros(4, 3)\n" + stack))
    assert [o.status for o in broken][-1] == "device"
    fixed = run_lesson(lesson("gold = torch.zeros(4, 3, device=device)\n" + stack))
    assert {o.status for o in fixed} == {"ran"}


# --- the lessons ----------------------------------------------------------------

# A lesson cannot pass by skipping its own device code: every statement that names the
# device runs (or is stopped by the value budget), and so do most of the others (a
# statement is skipped when it needs real values, or names that a skipped one makes).
MIN_SHARE_RUN = 0.8


@pytest.mark.parametrize("path", device_lessons(), ids=[p.stem for p in device_lessons()])
def test_lesson_keeps_its_tensors_on_the_device(path):
    outcomes = run_lesson(path)
    assert not [o for o in outcomes if o.status == "device"], (
        "operations that mix devices:\n" + describe(outcomes, ("device",))
    )
    skipped = [o for o in outcomes if o.status == "skipped"]
    assert not [o for o in skipped if "device" in o.source], describe(outcomes, ("skipped",))
    assert len(skipped) <= (1 - MIN_SHARE_RUN) * len(outcomes), describe(outcomes, ("skipped",))


# --- the package code the lessons call --------------------------------------------


def small_task():
    from attn_course.support.data import Vocab, encode_batch, make_batches, make_translation_data

    train, test = make_translation_data(num_train=64, num_test_per_length=1, max_len=8)
    src_vocab = Vocab(p.source for p in train)
    tgt_vocab = Vocab(p.target for p in train)
    batches = make_batches(train, src_vocab, tgt_vocab, batch_size=32)
    test_batch = encode_batch(
        [p.source for p in test], [p.target for p in test], src_vocab, tgt_vocab,
        alignments=[p.alignment for p in test],
    )  # fmt: skip
    return src_vocab, tgt_vocab, batches, test_batch


def seq2seq_model(src_vocab, tgt_vocab, attention=True):
    from attn_course.seq2seq import BahdanauDecoder, EncoderDecoder, GRUEncoder, Seq2SeqDecoder

    decoder = BahdanauDecoder if attention else Seq2SeqDecoder
    return EncoderDecoder(GRUEncoder(len(src_vocab), 8, 16), decoder(len(tgt_vocab), 8, 16))


@pytest.mark.parametrize("attention", [True, False], ids=["attention", "baseline"])
def test_training_decoding_and_metrics_stay_on_the_device(attention):
    from attn_course.seq2seq import greedy_decode
    from attn_course.support.metrics import alignment_accuracy
    from attn_course.support.training import masked_cross_entropy, train_seq2seq

    src_vocab, tgt_vocab, batches, test_batch = small_task()
    with fake_device(value_reads=10_000):
        device = attn_course.support.device.try_device()
        model = seq2seq_model(src_vocab, tgt_vocab, attention)
        losses = train_seq2seq(model, batches, num_steps=2, device=device)
        assert len(losses) == 2 and model.encoder.embedding.weight.device == device
        batch = test_batch.to(device)
        logits = model(batch.source, batch.source_valid_lens, batch.decoder_input)
        assert logits.device == device
        loss = masked_cross_entropy(logits, batch.labels, batch.target_valid_lens)
        assert loss.device == device
        if attention:  # the weights of the teacher-forced pass, against the gold
            alignment_accuracy(model.decoder.attention_weights, batch.alignments)
        predictions, weights = greedy_decode(
            model, batch.source, batch.source_valid_lens, tgt_vocab.bos, tgt_vocab.eos, 3
        )
        assert len(predictions) == len(batch)
        assert (weights.device == device) if attention else weights is None


def test_the_transformer_trains_and_decodes_on_the_device():
    from attn_course.seq2seq import EncoderDecoder, greedy_decode
    from attn_course.support.training import train_seq2seq
    from attn_course.transformer import TransformerDecoder, TransformerEncoder, warmup_cosine

    src_vocab, tgt_vocab, batches, test_batch = small_task()
    with fake_device(value_reads=10_000):
        device = attn_course.support.device.try_device()
        sizes = {
            "num_hiddens": 16,
            "ffn_num_hiddens": 32,
            "num_heads": 2,
            "num_layers": 1,
            "norm_first": True,
        }
        model = EncoderDecoder(
            TransformerEncoder(len(src_vocab), **sizes), TransformerDecoder(len(tgt_vocab), **sizes)
        )
        losses = train_seq2seq(
            model,
            batches,
            num_steps=2,
            device=device,
            scheduler=lambda opt: warmup_cosine(opt, 1, 2),
        )
        assert len(losses) == 2 and model.encoder.embedding.weight.device == device
        batch = test_batch.to(device)
        logits = model(batch.source, batch.source_valid_lens, batch.decoder_input)
        assert logits.device == device
        predictions, weights = greedy_decode(
            model, batch.source, batch.source_valid_lens, tgt_vocab.bos, tgt_vocab.eos, 3
        )
        assert len(predictions) == len(batch) and weights.device == device
