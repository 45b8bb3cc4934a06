"""Training an encoder-decoder (lesson 05): a loss that ignores padding, a
seeded training loop with gradient clipping, and a live progress line."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from attn_course.masking import length_mask
from attn_course.support.data import Batch
from attn_course.support.validation import check_masked_cross_entropy, check_training


def masked_cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, valid_lens: torch.Tensor
) -> torch.Tensor:
    """Mean cross-entropy over the real tokens: logits (batch, steps, vocab), labels
    (batch, steps), valid_lens (batch,) -> a scalar; padded labels may hold any index."""
    check_masked_cross_entropy(logits, labels, valid_lens)
    mask = length_mask(valid_lens, labels.shape[1])  # (batch, steps): True at real tokens
    safe_labels = labels.masked_fill(~mask, 0)  # (batch, steps): a valid index everywhere
    per_token = F.cross_entropy(
        logits.transpose(1, 2).float(), safe_labels, reduction="none"
    )  # (batch, steps)
    return (per_token * mask).sum() / mask.sum()


class TrainingProgress:
    """A one-line live progress display for Jupyter.

    While training it shows ``name: step s/N, loss x``; when training ends
    it shows ``name: N training steps`` again, the same text it showed at
    the start, so the output saved in a notebook does not depend on the run.
    Outside a Jupyter kernel it shows nothing.
    """

    def __init__(self, name: str, num_steps: int, every: int = 50) -> None:
        self.name, self.num_steps, self.every = name, num_steps, max(1, every)
        self._handle = None

    def _text(self, step: int | None = None, loss: float | None = None) -> str:
        if step is None:
            return f"{self.name}: {self.num_steps} training steps"
        return f"{self.name}: step {step}/{self.num_steps}, loss {loss:.4f}"

    def start(self) -> None:
        """Show the fixed line (inside a Jupyter kernel only)."""
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # no IPython: no display
            return
        shell = get_ipython()
        if shell is None or not hasattr(shell, "kernel"):
            return
        self._handle = display({"text/plain": self._text()}, raw=True, display_id=True)

    def update(self, step: int, loss: float) -> None:
        """Show the current step and loss, every ``every`` steps."""
        if self._handle is not None and step % self.every == 0:
            self._handle.update({"text/plain": self._text(step, loss)}, raw=True)

    def finish(self) -> None:
        """Put the fixed line back."""
        if self._handle is not None:
            self._handle.update({"text/plain": self._text()}, raw=True)


def train_seq2seq(
    model: nn.Module,
    batches: Sequence[Batch],
    num_steps: int,
    lr: float = 5e-3,
    max_grad_norm: float = 1.0,
    seed: int = 0,
    device: torch.device | str = "cpu",
    name: str | None = None,
    scheduler: Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler]
    | None = None,
) -> list[float]:
    """Train an encoder-decoder for a fixed number of steps with Adam.

    Each step takes the next batch of a shuffled order (a new order every
    pass over ``batches``, drawn from ``seed``), computes
    :func:`masked_cross_entropy`, and clips the gradient norm to
    ``max_grad_norm`` before the update. A fixed number of steps and a
    fixed seed give the same model every run (on the same machine).

    Args:
        model: called as ``model(source, source_valid_lens, decoder_input)``,
            returning (batch, steps, vocab_size) logits.
        batches: training batches (see ``attn_course.support.data.make_batches``).
        num_steps: how many updates.
        lr: Adam's learning rate.
        max_grad_norm: the largest allowed gradient norm.
        seed: seeds the order of the batches.
        device: where to train; the model is moved there.
        name: if given, a :class:`TrainingProgress` line with this name is
            shown in Jupyter while training.
        scheduler: None for a constant learning rate, or a function that takes
            the optimizer and returns a learning-rate scheduler, stepped after
            every optimizer step (``lambda opt: warmup_cosine(opt, 50, 800)``).

    Returns:
        The loss of every step (a list of ``num_steps`` floats).

    Raises:
        ValueError: ``batches`` is empty, or ``num_steps`` < 1.
    """
    check_training(batches, num_steps)
    model.to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = scheduler(optimizer) if scheduler is not None else None
    generator = torch.Generator().manual_seed(seed)
    progress = TrainingProgress(name, num_steps) if name else None
    if progress:
        progress.start()
    losses: list[float] = []
    order: list[int] = []
    for step in range(1, num_steps + 1):
        if not order:
            order = torch.randperm(len(batches), generator=generator).tolist()
        batch = batches[order.pop()].to(device)
        logits = model(batch.source, batch.source_valid_lens, batch.decoder_input)
        loss = masked_cross_entropy(logits, batch.labels, batch.target_valid_lens)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        if schedule is not None:
            schedule.step()
        losses.append(loss.item())
        if progress:
            progress.update(step, sum(losses[-progress.every :]) / len(losses[-progress.every :]))
    if progress:
        progress.finish()
    model.eval()
    return losses
