"""Encoder-decoder models for translation, with and without attention (lesson 05).

- :class:`Encoder`, :class:`Decoder`, :class:`EncoderDecoder`: the interface.
- :class:`GRUEncoder`: embeds the source and runs a bidirectional GRU over it.
- :class:`Seq2SeqDecoder`: the baseline. Its context is one fixed vector,
  the encoder's last hidden state, joined to the input at every step.
- :class:`BahdanauDecoder`: the same decoder whose context is recomputed at
  every step by additive attention: the query is the previous decoder
  hidden state, the keys and values are the encoder outputs.
- :func:`greedy_decode`: translate by picking the most likely token at
  every step, and keep the attention weights.

Shapes are batch-first: ``(batch, steps, features)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from attn_course.masking import masked_softmax
from attn_course.scoring import AdditiveAttention
from attn_course.validation import check_valid_lens


def check_token_indices(name: str, X: object) -> None:
    """Check that ``X`` is a (batch, steps) tensor of integer token indices.

    Raises:
        TypeError: ``X`` is not a tensor, or not of dtype int64 or int32.
        ValueError: ``X`` is not 2-D.
    """
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of token indices, got {type(X).__name__}")
    if X.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must hold integer token indices, got dtype {X.dtype}")
    if X.dim() != 2:
        raise ValueError(f"{name} must have shape (batch, steps), got {tuple(X.shape)}")


class Encoder(nn.Module):
    """The encoder interface: source tokens -> (outputs, final state)."""

    def forward(
        self, X: torch.Tensor, valid_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """X: (batch, steps) token indices; valid_lens: (batch,).

        Returns (outputs (batch, steps, num_hiddens), state (batch, num_hiddens)).
        """
        raise NotImplementedError


@dataclass
class DecoderState:
    """What a decoder carries from one step to the next.

    Attributes:
        enc_outputs: (batch, source_steps, num_hiddens), the encoder outputs.
        enc_valid_lens: (batch,), the source lengths.
        context: (batch, num_hiddens), the encoder's final state, used as
            the fixed context by :class:`Seq2SeqDecoder`.
        hidden: (batch, num_hiddens), the decoder's hidden state.
        projected_keys: (batch, source_steps, num_hiddens), ``W_k`` applied
            to the encoder outputs once (attention decoders only).
    """

    enc_outputs: torch.Tensor
    enc_valid_lens: torch.Tensor
    context: torch.Tensor
    hidden: torch.Tensor
    projected_keys: torch.Tensor | None = None


class Decoder(nn.Module):
    """The decoder interface: ``init_state`` from the encoder, then ``forward``."""

    def init_state(
        self, enc_outputs: torch.Tensor, enc_state: torch.Tensor, enc_valid_lens: torch.Tensor
    ) -> DecoderState:
        """Build the decoder's first state from the encoder's results."""
        raise NotImplementedError

    def forward(self, X: torch.Tensor, state: DecoderState) -> tuple[torch.Tensor, DecoderState]:
        """X: (batch, steps) token indices. Returns (logits (batch, steps, vocab), new state)."""
        raise NotImplementedError


class EncoderDecoder(nn.Module):
    """An encoder and a decoder: source and decoder input -> logits over the target vocabulary."""

    def __init__(self, encoder: Encoder, decoder: Decoder) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(
        self, source: torch.Tensor, source_valid_lens: torch.Tensor, decoder_input: torch.Tensor
    ) -> torch.Tensor:
        """source: (batch, source_steps); source_valid_lens: (batch,);
        decoder_input: (batch, target_steps). Returns (batch, target_steps, vocab)."""
        enc_outputs, enc_state = self.encoder(source, source_valid_lens)
        state = self.decoder.init_state(enc_outputs, enc_state, source_valid_lens)
        logits, _ = self.decoder(decoder_input, state)
        return logits


class GRUEncoder(Encoder):
    """Embedding, then a bidirectional one-layer GRU over the source.

    One GRU reads the source left to right, another right to left, each with
    ``num_hiddens // 2`` features; ``outputs[:, j]`` joins their states at
    token ``j``, so it describes the words on both sides of ``x_j``. The
    sequences are packed, so each direction starts and ends at the real
    tokens: padding changes nothing, and padded outputs are 0. The final
    state joins the forward state after the last real token and the
    backward state after the first.
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int) -> None:
        super().__init__()
        if num_hiddens % 2:
            raise ValueError(f"num_hiddens must be even (half per direction), got {num_hiddens}")
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens // 2, batch_first=True, bidirectional=True)

    def forward(
        self, X: torch.Tensor, valid_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode a batch of sources.

        Args:
            X: (batch, steps) token indices.
            valid_lens: (batch,) the number of real tokens, each from 1 to steps.

        Returns:
            outputs (batch, steps, num_hiddens), zero at padded positions,
            and the final state (batch, num_hiddens).

        Raises:
            TypeError, ValueError: bad token tensor or valid lengths.
        """
        check_token_indices("X", X)
        check_valid_lens(valid_lens, X.shape[0], None, X.shape[1])
        if X.shape[0] and int(valid_lens.min()) < 1:
            raise ValueError(f"every source needs at least 1 token, got {valid_lens.tolist()}")
        embs = self.embedding(X)  # (batch, steps, embed_size)
        packed = nn.utils.rnn.pack_padded_sequence(
            embs, valid_lens.cpu(), batch_first=True, enforce_sorted=False
        )
        packed_outputs, last = self.rnn(packed)  # last: (2 directions, batch, num_hiddens // 2)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(
            packed_outputs, batch_first=True, total_length=X.shape[1]
        )  # (batch, steps, num_hiddens), zeros at padding
        state = torch.cat([last[0], last[1]], dim=-1)  # (batch, num_hiddens)
        return outputs, state


class Seq2SeqDecoder(Decoder):
    """The baseline GRU decoder: the context is one fixed vector.

    At step ``t`` it reads the embedding of the previous target token joined
    with the context ``c``: ``s_t = GRU([e(y_{t-1}); c], s_{t-1})``, and
    predicts ``y_t`` from ``W_o [s_t; c] + b_o``. Here ``c`` is the encoder's
    final state at every step; :class:`BahdanauDecoder` changes how the
    context is made and nothing else.
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRUCell(embed_size + num_hiddens, num_hiddens)
        self.dense = nn.Linear(2 * num_hiddens, vocab_size)
        self.attention_weights: torch.Tensor | None = None

    def init_state(
        self, enc_outputs: torch.Tensor, enc_state: torch.Tensor, enc_valid_lens: torch.Tensor
    ) -> DecoderState:
        """Start from the encoder's final state; it is also the fixed context."""
        return DecoderState(enc_outputs, enc_valid_lens, context=enc_state, hidden=enc_state)

    def context(
        self, hidden: torch.Tensor, state: DecoderState
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The context for the step after ``hidden`` (batch, num_hiddens).

        Returns the fixed context (batch, num_hiddens) and no attention weights.
        """
        return state.context, None

    def forward(self, X: torch.Tensor, state: DecoderState) -> tuple[torch.Tensor, DecoderState]:
        """Run the decoder over ``steps`` target tokens (teacher forcing).

        Args:
            X: (batch, steps) decoder input indices (``<bos>``, y_1, ...).
            state: from :meth:`init_state` or a previous call.

        Returns:
            logits (batch, steps, vocab_size) and the state after the last
            step. Attention decoders also set ``attention_weights``
            (batch, steps, source_steps).

        Raises:
            TypeError, ValueError: ``X`` is not a (batch, steps) integer tensor.
        """
        check_token_indices("X", X)
        embs = self.embedding(X)  # (batch, steps, embed_size)
        hidden = state.hidden  # (batch, num_hiddens)
        outputs, weights = [], []
        for t in range(X.shape[1]):
            context, step_weights = self.context(hidden, state)  # (batch, num_hiddens)
            step_input = torch.cat([embs[:, t], context], dim=-1)  # (batch, embed + hiddens)
            hidden = self.rnn(step_input, hidden)  # (batch, num_hiddens)
            outputs.append(torch.cat([hidden, context], dim=-1))  # (batch, 2 * num_hiddens)
            if step_weights is not None:
                weights.append(step_weights)  # (batch, source_steps)
        state.hidden = hidden
        # One output projection for all steps at once.
        logits = self.dense(torch.stack(outputs, dim=1))  # (batch, steps, vocab_size)
        self.attention_weights = torch.stack(weights, dim=1) if weights else None
        return logits, state


class BahdanauDecoder(Seq2SeqDecoder):
    """The GRU decoder with additive (Bahdanau) attention.

    At step ``t`` the query is the previous hidden state ``s_{t-1}``, the
    keys and values are the encoder outputs ``h_1 .. h_n``:
    ``c_t = sum_j alpha_{tj} h_j`` with
    ``alpha_t = masked_softmax(w_v^T tanh(W_q s_{t-1} + W_k h_j))``.
    Everything else is :class:`Seq2SeqDecoder`'s. After ``forward``,
    ``attention_weights`` is (batch, steps, source_steps).
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int) -> None:
        super().__init__(vocab_size, embed_size, num_hiddens)
        self.attention = AdditiveAttention(num_hiddens, num_hiddens, num_hiddens)

    def init_state(
        self, enc_outputs: torch.Tensor, enc_state: torch.Tensor, enc_valid_lens: torch.Tensor
    ) -> DecoderState:
        """As the baseline, plus the keys projected by ``W_k`` once for all steps."""
        state = super().init_state(enc_outputs, enc_state, enc_valid_lens)
        state.projected_keys = self.attention.W_k(enc_outputs)  # (batch, src_steps, hiddens)
        return state

    def context(
        self, hidden: torch.Tensor, state: DecoderState
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from ``hidden`` = ``s_{t-1}`` (batch, num_hiddens) to the encoder outputs: returns
        (context (batch, num_hiddens), weights (batch, source_steps)).

        This is ``self.attention(query, enc_outputs, enc_outputs,
        enc_valid_lens)`` for one query, with ``W_k h_j`` taken from the
        state instead of recomputed at every step.
        """
        assert state.projected_keys is not None, "call init_state first"
        query = self.attention.W_q(hidden).unsqueeze(1)  # (batch, 1, hiddens)
        features = torch.tanh(query + state.projected_keys)  # (batch, src_steps, hiddens)
        scores = self.attention.w_v(features).transpose(1, 2)  # (batch, 1, src_steps)
        weights = masked_softmax(scores, state.enc_valid_lens)  # (batch, 1, src_steps)
        context = torch.bmm(weights, state.enc_outputs)  # (batch, 1, num_hiddens)
        return context.squeeze(1), weights.squeeze(1)


def greedy_decode(
    model: EncoderDecoder,
    source: torch.Tensor,
    source_valid_lens: torch.Tensor,
    bos: int,
    eos: int,
    max_steps: int,
) -> tuple[list[list[int]], torch.Tensor | None]:
    """Translate a batch by feeding back the most likely token at each step.

    Args:
        model: a trained encoder-decoder.
        source: (batch, source_steps) token indices.
        source_valid_lens: (batch,).
        bos, eos: the target vocabulary's ``<bos>`` and ``<eos>`` indices.
        max_steps: the largest number of output tokens.

    Returns:
        One list of output indices per sentence (cut before its ``<eos>``),
        and the attention weights (batch, steps, source_steps) of the steps
        taken, or None for a decoder without attention. Decoding stops
        when every sentence has produced ``<eos>`` or after ``max_steps``.

    Raises:
        ValueError: ``max_steps`` < 1.
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    with torch.no_grad():
        enc_outputs, enc_state = model.encoder(source, source_valid_lens)
        state = model.decoder.init_state(enc_outputs, enc_state, source_valid_lens)
        batch_size = source.shape[0]
        token = torch.full((batch_size, 1), bos, dtype=torch.long, device=source.device)
        finished = torch.zeros(batch_size, dtype=torch.bool, device=source.device)
        outputs, weights = [], []
        for _ in range(max_steps):
            logits, state = model.decoder(token, state)  # (batch, 1, vocab_size)
            token = logits.argmax(dim=-1)  # (batch, 1)
            outputs.append(token.squeeze(1))
            if model.decoder.attention_weights is not None:
                weights.append(model.decoder.attention_weights.squeeze(1))
            finished |= token.squeeze(1) == eos
            if bool(finished.all()):
                break
    steps = torch.stack(outputs, dim=1).tolist()  # (batch, steps)
    predictions = [row[: row.index(eos)] if eos in row else row for row in steps]
    return predictions, torch.stack(weights, dim=1) if weights else None
