"""seq2seq: GRU encoder, baseline and Bahdanau decoders, greedy decoding."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from attn_course.scoring import AdditiveAttention
from attn_course.seq2seq import (
    BahdanauDecoder,
    Decoder,
    Encoder,
    EncoderDecoder,
    GRUEncoder,
    Seq2SeqDecoder,
    greedy_decode,
)
from attn_course.support.seed import set_seed

SRC_VOCAB, TGT_VOCAB, EMBED, HIDDENS = 11, 13, 8, 16
PAD, BOS, EOS = 0, 1, 2


pytestmark = pytest.mark.usefixtures("one_thread")


def make_model(decoder_class=BahdanauDecoder, seed=0):
    set_seed(seed)
    encoder = GRUEncoder(SRC_VOCAB, EMBED, HIDDENS)
    decoder = decoder_class(TGT_VOCAB, EMBED, HIDDENS)
    return EncoderDecoder(encoder, decoder).eval()


def padded_batch(seed=0):
    """Sources (3, 6) with lengths 6, 4, 1; decoder inputs (3, 5) with lengths 5, 3, 2."""
    generator = torch.Generator().manual_seed(seed)
    source = torch.randint(3, SRC_VOCAB, (3, 6), generator=generator)
    source_valid_lens = torch.tensor([6, 4, 1])
    decoder_input = torch.randint(3, TGT_VOCAB, (3, 5), generator=generator)
    decoder_input[:, 0] = BOS
    target_valid_lens = torch.tensor([5, 3, 2])
    for row, (n_src, n_tgt) in enumerate(zip(source_valid_lens, target_valid_lens, strict=True)):
        source[row, n_src:] = PAD
        decoder_input[row, n_tgt:] = PAD
    return source, source_valid_lens, decoder_input, target_valid_lens


def change_padding(X, valid_lens, value):
    X = X.clone()
    for row, n in enumerate(valid_lens):
        X[row, n:] = value
    return X


# --- shapes -----------------------------------------------------------------


def test_interfaces():
    assert issubclass(GRUEncoder, Encoder)
    assert issubclass(Seq2SeqDecoder, Decoder) and issubclass(BahdanauDecoder, Seq2SeqDecoder)
    with pytest.raises(NotImplementedError):
        Encoder()(torch.zeros(1, 1, dtype=torch.long), torch.tensor([1]))


def test_encoder_shapes_and_final_state():
    model = make_model()
    source, valid_lens, _, _ = padded_batch()
    outputs, state = model.encoder(source, valid_lens)
    assert outputs.shape == (3, 6, HIDDENS)
    assert state.shape == (3, HIDDENS)
    half = HIDDENS // 2
    for row, n in enumerate(valid_lens.tolist()):
        # What the bidirectional GRU gives on the unpadded sentence alone ...
        alone_outputs, alone_last = model.encoder.rnn(
            model.encoder.embedding(source[row : row + 1, :n])
        )
        torch.testing.assert_close(outputs[row, :n], alone_outputs[0])
        torch.testing.assert_close(state[row], torch.cat([alone_last[0, 0], alone_last[1, 0]]))
        # ... the final state joins the forward state at the last real token
        # and the backward state at the first token ...
        assert torch.equal(state[row, :half], outputs[row, n - 1, :half])
        assert torch.equal(state[row, half:], outputs[row, 0, half:])
        assert outputs[row, n:].abs().sum() == 0  # ... and padded outputs are zero


def test_encoder_directions_read_forward_and_backward():
    """Closed form: run each direction's GRU cell by hand over one sentence."""
    model = make_model()
    rnn, half = model.encoder.rnn, HIDDENS // 2
    tokens = torch.tensor([[4, 7, 5, 9]])
    outputs, _ = model.encoder(tokens, torch.tensor([4]))
    embs = model.encoder.embedding(tokens)[0]  # (4, EMBED)
    forward_cell, backward_cell = nn.GRUCell(EMBED, half), nn.GRUCell(EMBED, half)
    for cell, suffix in [(forward_cell, "_l0"), (backward_cell, "_l0_reverse")]:
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).data.copy_(getattr(rnn, name + suffix))
    h = torch.zeros(1, half)
    for j in range(4):
        h = forward_cell(embs[j : j + 1], h)
        torch.testing.assert_close(outputs[0, j, :half], h[0])
    h = torch.zeros(1, half)
    for j in reversed(range(4)):
        h = backward_cell(embs[j : j + 1], h)
        torch.testing.assert_close(outputs[0, j, half:], h[0])


@pytest.mark.parametrize("decoder_class", [Seq2SeqDecoder, BahdanauDecoder])
def test_decoder_shapes(decoder_class):
    model = make_model(decoder_class)
    source, source_valid_lens, decoder_input, _ = padded_batch()
    logits = model(source, source_valid_lens, decoder_input)
    assert logits.shape == (3, 5, TGT_VOCAB)
    weights = model.decoder.attention_weights
    if decoder_class is Seq2SeqDecoder:
        assert weights is None
    else:
        assert weights.shape == (3, 5, 6)  # (batch, target steps, source steps)
        torch.testing.assert_close(weights.sum(-1), torch.ones(3, 5))
        for row, n in enumerate(source_valid_lens.tolist()):
            assert weights[row, :, n:].abs().sum() == 0  # no weight on padding


# --- attention: the Bahdanau decoder is built on AdditiveAttention ----------


def test_bahdanau_context_is_additive_attention_from_the_previous_state():
    """Reference: the decoder loop written out, calling AdditiveAttention itself."""
    model = make_model(BahdanauDecoder)
    source, source_valid_lens, decoder_input, _ = padded_batch()
    decoder = model.decoder
    enc_outputs, enc_state = model.encoder(source, source_valid_lens)
    attention = AdditiveAttention(HIDDENS, HIDDENS, HIDDENS)
    attention.load_state_dict(decoder.attention.state_dict())
    hidden, hiddens, weights = enc_state, [], []
    for t in range(decoder_input.shape[1]):
        query = hidden.unsqueeze(1)  # s_{t-1}: (batch, 1, hiddens)
        context = attention(query, enc_outputs, enc_outputs, source_valid_lens)
        weights.append(attention.attention_weights[:, 0])
        step_input = torch.cat([decoder.embedding(decoder_input[:, t]), context[:, 0]], dim=-1)
        hidden = decoder.rnn(step_input, hidden)
        hiddens.append(torch.cat([hidden, context[:, 0]], dim=-1))  # [s_t; c_t]
    expected_logits = decoder.dense(torch.stack(hiddens, dim=1))
    logits = model(source, source_valid_lens, decoder_input)
    torch.testing.assert_close(logits, expected_logits)
    torch.testing.assert_close(decoder.attention_weights, torch.stack(weights, dim=1))


def test_baseline_context_is_the_final_encoder_state_at_every_step():
    model = make_model(Seq2SeqDecoder)
    source, source_valid_lens, decoder_input, _ = padded_batch()
    enc_outputs, enc_state = model.encoder(source, source_valid_lens)
    state = model.decoder.init_state(enc_outputs, enc_state, source_valid_lens)
    # Changing the encoder outputs (but not the final state) changes nothing.
    logits, _ = model.decoder(decoder_input, state)
    state2 = model.decoder.init_state(torch.randn_like(enc_outputs), enc_state, source_valid_lens)
    logits2, _ = model.decoder(decoder_input, state2)
    torch.testing.assert_close(logits, logits2)


def test_baseline_and_attention_model_share_everything_but_attention():
    baseline, attentive = make_model(Seq2SeqDecoder), make_model(BahdanauDecoder)
    base_params = dict(baseline.named_parameters())
    attn_params = dict(attentive.named_parameters())
    extra = set(attn_params) - set(base_params)
    assert set(base_params) <= set(attn_params)
    assert extra == {"decoder.attention.W_k.weight", "decoder.attention.W_q.weight",
                     "decoder.attention.w_v.weight"}  # fmt: skip
    for name, param in base_params.items():
        # same shapes, and the same seed gives the same initial values
        assert torch.equal(param, attn_params[name]), name
    # The subclass replaces how the context is made, nothing else.
    overridden = {name for name in vars(BahdanauDecoder) if not name.startswith("__")}
    assert overridden == {"context"}


# --- padding is ignored -----------------------------------------------------


@pytest.mark.parametrize("decoder_class", [Seq2SeqDecoder, BahdanauDecoder])
def test_padding_changes_nothing(decoder_class):
    model = make_model(decoder_class)
    source, source_valid_lens, decoder_input, target_valid_lens = padded_batch()
    logits = model(source, source_valid_lens, decoder_input)
    weights = model.decoder.attention_weights
    other_source = change_padding(source, source_valid_lens, 7)
    other_input = change_padding(decoder_input, target_valid_lens, 5)
    other_logits = model(other_source, source_valid_lens, other_input)
    other_weights = model.decoder.attention_weights
    for row, n in enumerate(target_valid_lens.tolist()):
        torch.testing.assert_close(logits[row, :n], other_logits[row, :n])
        if weights is not None:
            torch.testing.assert_close(weights[row, :n], other_weights[row, :n])
    # ...whereas changing a real token does change the output.
    other_source[0, 0] = 3 if source[0, 0] != 3 else 4
    assert not torch.allclose(model(other_source, source_valid_lens, other_input)[0], logits[0])


def test_bad_inputs_raise():
    model = make_model()
    source, valid_lens, decoder_input, _ = padded_batch()
    with pytest.raises(TypeError, match="integer token indices"):
        model.encoder(source.float(), valid_lens)
    with pytest.raises(ValueError, match=r"shape \(batch, steps\)"):
        model.encoder(source[0], valid_lens)
    with pytest.raises(ValueError, match="at least 1 token"):
        model.encoder(source, torch.tensor([6, 0, 1]))
    with pytest.raises(ValueError, match="at most 6"):
        model.encoder(source, torch.tensor([7, 1, 1]))
    with pytest.raises(TypeError, match="integer token indices"):
        model(source, valid_lens, decoder_input.float())
    with pytest.raises(ValueError, match="num_hiddens must be even"):
        GRUEncoder(SRC_VOCAB, EMBED, 7)


# --- decoding ---------------------------------------------------------------


@pytest.mark.parametrize("decoder_class", [Seq2SeqDecoder, BahdanauDecoder])
def test_step_by_step_decoding_equals_teacher_forcing(decoder_class):
    model = make_model(decoder_class)
    source, source_valid_lens, decoder_input, _ = padded_batch()
    logits = model(source, source_valid_lens, decoder_input)
    full_weights = model.decoder.attention_weights
    enc_outputs, enc_state = model.encoder(source, source_valid_lens)
    state = model.decoder.init_state(enc_outputs, enc_state, source_valid_lens)
    steps, weights = [], []
    for t in range(decoder_input.shape[1]):
        step_logits, state = model.decoder(decoder_input[:, t : t + 1], state)
        steps.append(step_logits)
        weights.append(model.decoder.attention_weights)
    torch.testing.assert_close(torch.cat(steps, dim=1), logits)
    if full_weights is not None:
        torch.testing.assert_close(torch.cat(weights, dim=1), full_weights)


@pytest.mark.parametrize("decoder_class", [Seq2SeqDecoder, BahdanauDecoder])
def test_greedy_decode_picks_the_most_likely_token(decoder_class):
    model = make_model(decoder_class, seed=1)
    with torch.no_grad():  # make <eos> likely enough to be picked sometimes
        model.decoder.dense.bias[EOS] += 1.5
    source, source_valid_lens, _, _ = padded_batch()
    predictions, weights = greedy_decode(model, source, source_valid_lens, BOS, EOS, 8)
    assert len(predictions) == 3
    assert all(EOS not in row and len(row) <= 8 for row in predictions)
    for row, prediction in enumerate(predictions):
        # Feeding the prediction back with teacher forcing: each token is the argmax.
        decoder_input = torch.tensor([[BOS, *prediction]])
        logits = model(source[row : row + 1], source_valid_lens[row : row + 1], decoder_input)
        chosen = logits.argmax(-1)[0].tolist()
        assert chosen[: len(prediction)] == prediction
        if len(prediction) < 8:
            assert chosen[len(prediction)] == EOS
    if decoder_class is Seq2SeqDecoder:
        assert weights is None
    else:
        assert weights.shape[0] == 3 and weights.shape[2] == 6
        assert max(len(p) for p in predictions) + 1 >= weights.shape[1]


def test_greedy_decode_rejects_zero_steps():
    model = make_model()
    source, valid_lens, _, _ = padded_batch()
    with pytest.raises(ValueError, match="max_steps"):
        greedy_decode(model, source, valid_lens, BOS, EOS, 0)


def test_models_run_in_bfloat16():
    model = make_model().to(torch.bfloat16)
    source, valid_lens, decoder_input, _ = padded_batch()
    logits = model(source, valid_lens, decoder_input)
    assert logits.dtype == torch.bfloat16 and torch.isfinite(logits).all()
