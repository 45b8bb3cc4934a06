"""training: the masked loss, the seeded training loop, the progress line."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from attn_course.seq2seq import BahdanauDecoder, EncoderDecoder, GRUEncoder
from attn_course.support.data import Vocab, make_batches, make_translation_data
from attn_course.support.seed import set_seed
from attn_course.support.training import TrainingProgress, masked_cross_entropy, train_seq2seq

pytestmark = pytest.mark.usefixtures("one_thread")


def loss_by_loops(logits, labels, valid_lens):
    """Reference: average -log softmax(logits)[label] over the valid tokens, one by one."""
    total, count = 0.0, 0
    for row in range(labels.shape[0]):
        for step in range(int(valid_lens[row])):
            log_probs = torch.log_softmax(logits[row, step].double(), dim=-1)
            total -= float(log_probs[labels[row, step]])
            count += 1
    return total / count


def test_masked_cross_entropy_matches_loops_and_ignores_padding():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 7, generator=generator)
    labels = torch.randint(0, 7, (3, 5), generator=generator)
    valid_lens = torch.tensor([5, 2, 3])
    loss = masked_cross_entropy(logits, labels, valid_lens)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(loss_by_loops(logits, labels, valid_lens), abs=1e-5)
    # Whatever sits in the padding (labels or logits) changes nothing ...
    other_labels, other_logits = labels.clone(), logits.clone()
    for row, n in enumerate(valid_lens.tolist()):
        other_labels[row, n:] = 6
        other_logits[row, n:] = 100.0
    assert torch.equal(masked_cross_entropy(other_logits, other_labels, valid_lens), loss)
    # ... and with nothing padded it is the ordinary mean cross-entropy.
    full = torch.tensor([5, 5, 5])
    expected = F.cross_entropy(logits.reshape(-1, 7), labels.reshape(-1))
    torch.testing.assert_close(masked_cross_entropy(logits, labels, full), expected)


def test_masked_cross_entropy_gradient_is_zero_on_padding():
    logits = torch.randn(2, 4, 5, requires_grad=True)
    labels = torch.zeros(2, 4, dtype=torch.long)
    masked_cross_entropy(logits, labels, torch.tensor([1, 3])).backward()
    assert logits.grad[0, 1:].abs().sum() == 0 and logits.grad[1, 3:].abs().sum() == 0
    assert logits.grad[0, 0].abs().sum() > 0


def test_masked_cross_entropy_rejects_bad_input():
    logits = torch.randn(2, 4, 5)
    labels = torch.zeros(2, 4, dtype=torch.long)
    with pytest.raises(ValueError, match=r"shape \(batch, steps\) = \(2, 4\)"):
        masked_cross_entropy(logits, labels[:, :3], torch.tensor([1, 1]))
    with pytest.raises(TypeError, match="int64"):
        masked_cross_entropy(logits, labels.float(), torch.tensor([1, 1]))
    with pytest.raises(ValueError, match="no valid token"):
        masked_cross_entropy(logits, labels, torch.tensor([0, 0]))
    with pytest.raises(ValueError, match="at most 4"):
        masked_cross_entropy(logits, labels, torch.tensor([5, 1]))


@pytest.fixture(scope="module")
def tiny_task():
    train, _ = make_translation_data(num_train=512, num_test_per_length=1, max_len=8, seed=0)
    src_vocab = Vocab(p.source for p in train)
    tgt_vocab = Vocab(p.target for p in train)
    return make_batches(train, src_vocab, tgt_vocab, batch_size=64), src_vocab, tgt_vocab


def tiny_model(src_vocab, tgt_vocab):
    set_seed(0)
    return EncoderDecoder(
        GRUEncoder(len(src_vocab), 16, 32), BahdanauDecoder(len(tgt_vocab), 16, 32)
    )


def test_short_training_run_lowers_the_loss_and_is_reproducible(tiny_task):
    batches, src_vocab, tgt_vocab = tiny_task
    model = tiny_model(src_vocab, tgt_vocab)
    losses = train_seq2seq(model, batches, num_steps=40, lr=1e-2)
    assert len(losses) == 40
    assert sum(losses[-5:]) / 5 < 0.6 * sum(losses[:5]) / 5
    assert not model.training  # left in evaluation mode
    again = train_seq2seq(tiny_model(src_vocab, tgt_vocab), batches, num_steps=40, lr=1e-2)
    assert again == losses  # same seed, same steps: the same run


def test_gradient_clipping_is_applied(tiny_task, monkeypatch):
    batches, src_vocab, tgt_vocab = tiny_task
    norms = []
    clip = torch.nn.utils.clip_grad_norm_

    def recording_clip(parameters, max_norm):
        parameters = list(parameters)
        total = clip(parameters, max_norm)
        after = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in parameters]))
        norms.append((float(total), float(after), max_norm))
        return total

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", recording_clip)
    train_seq2seq(tiny_model(src_vocab, tgt_vocab), batches, num_steps=3, max_grad_norm=0.1)
    assert len(norms) == 3
    assert all(after <= max_norm * 1.0001 for _, after, max_norm in norms)
    assert norms[0][0] > 0.1  # the first gradient was really clipped


def test_train_steps_the_scheduler_after_every_optimizer_step(tiny_task):
    batches, src_vocab, tgt_vocab = tiny_task
    counts = []  # what LambdaLR passes its function: 0 when made, then one more per step

    def constant(optimizer):
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda n: counts.append(n) or 1.0)

    scheduled = train_seq2seq(tiny_model(src_vocab, tgt_vocab), batches, 3, scheduler=constant)
    assert counts == [0, 1, 2, 3]
    assert scheduled == train_seq2seq(tiny_model(src_vocab, tgt_vocab), batches, 3)


def test_train_rejects_bad_arguments(tiny_task):
    batches, src_vocab, tgt_vocab = tiny_task
    with pytest.raises(ValueError, match="no training batches"):
        train_seq2seq(tiny_model(src_vocab, tgt_vocab), [], num_steps=1)
    with pytest.raises(ValueError, match="num_steps"):
        train_seq2seq(tiny_model(src_vocab, tgt_vocab), batches, num_steps=0)


def test_progress_line_starts_and_ends_with_the_same_text():
    progress = TrainingProgress("attention", 600)
    assert progress._text() == "attention: 600 training steps"
    assert progress._text(50, 0.123456) == "attention: step 50/600, loss 0.1235"
    # Outside Jupyter it shows nothing and does not fail.
    progress.start()
    progress.update(50, 0.1)
    progress.finish()
