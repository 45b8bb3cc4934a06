"""Multi-head attention (lesson 06).

``num_heads`` scaled dot-product attentions run side by side, each on its
own slice of learned projections of the queries, keys and values; their
outputs are concatenated and projected once more. The heads are computed
together by stacking them along the batch axis (``transpose_qkv``) and
unstacking the result (``transpose_output``).

Also here: the same layer computed with PyTorch's fused
``scaled_dot_product_attention`` (``SDPAMultiHeadAttention``), and the
bridge to ``torch.nn.MultiheadAttention`` (``to_torch_multihead``,
``key_padding_mask``) that the lesson and the tests compare against.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from attn_course.masking import causal_mask, length_mask
from attn_course.scoring import DotProductAttention
from attn_course.validation import check_attention_inputs, check_float_tensor, check_valid_lens


def transpose_qkv(X: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Split the features into heads and stack the heads along the batch axis.

    Args:
        X: (batch, steps, num_hiddens), with num_hiddens divisible by num_heads.
        num_heads: the number of heads, a positive int.

    Returns:
        (batch * num_heads, steps, num_hiddens / num_heads). Row
        ``b * num_heads + h`` holds head ``h`` of sequence ``b``: the features
        ``h * head_size`` to ``(h + 1) * head_size - 1`` of ``X[b]``.

    Raises:
        TypeError: ``X`` is not a floating-point tensor or ``num_heads`` not an int.
        ValueError: ``X`` is not 3-D, ``num_heads`` < 1, or num_hiddens is
            not divisible by ``num_heads``.
    """
    check_float_tensor("X", X, ndim=3)
    if not isinstance(num_heads, int) or isinstance(num_heads, bool):
        raise TypeError(f"num_heads must be an int, got {type(num_heads).__name__}")
    if num_heads < 1 or X.shape[-1] % num_heads:
        raise ValueError(
            f"X (batch, steps, num_hiddens) needs num_hiddens divisible by num_heads >= 1, "
            f"got shape {tuple(X.shape)} and num_heads={num_heads}"
        )
    batch_size, steps, num_hiddens = X.shape
    head_size = num_hiddens // num_heads
    X = X.reshape(batch_size, steps, num_heads, head_size)  # (batch, steps, heads, head_size)
    X = X.permute(0, 2, 1, 3)  # (batch, heads, steps, head_size)
    return X.reshape(batch_size * num_heads, steps, head_size)  # (batch*heads, steps, head_size)


def transpose_output(X: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Undo ``transpose_qkv``: put the heads back side by side along the features.

    Args:
        X: (batch * num_heads, steps, head_size), rows ordered as
            ``transpose_qkv`` makes them.
        num_heads: the number of heads, a positive int.

    Returns:
        (batch, steps, num_heads * head_size).

    Raises:
        TypeError: ``X`` is not a floating-point tensor or ``num_heads`` not an int.
        ValueError: ``X`` is not 3-D, ``num_heads`` < 1, or the first axis is
            not divisible by ``num_heads``.
    """
    check_float_tensor("X", X, ndim=3)
    if not isinstance(num_heads, int) or isinstance(num_heads, bool):
        raise TypeError(f"num_heads must be an int, got {type(num_heads).__name__}")
    if num_heads < 1 or X.shape[0] % num_heads:
        raise ValueError(
            "X must have shape (batch * num_heads, steps, head_size) with num_heads >= 1, "
            f"got shape {tuple(X.shape)} and num_heads={num_heads}"
        )
    batch_heads, steps, head_size = X.shape
    batch_size = batch_heads // num_heads
    X = X.reshape(batch_size, num_heads, steps, head_size)  # (batch, heads, steps, head_size)
    X = X.permute(0, 2, 1, 3)  # (batch, steps, heads, head_size)
    return X.reshape(batch_size, steps, num_heads * head_size)  # (batch, steps, num_hiddens)


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention.

    W_q, W_k and W_v project queries, keys and values to ``num_hiddens``
    features; the features are split into ``num_heads`` heads of
    ``num_hiddens / num_heads`` features each; every head runs scaled
    dot-product attention on its own slice; W_o projects the concatenated
    head outputs.

    Args:
        key_size, query_size, value_size: feature sizes of keys, queries, values.
        num_hiddens: features after projection, all heads together.
        num_heads: the number of heads; it must divide ``num_hiddens``.
        dropout: dropout probability on the attention weights (training only).
        bias: whether the four projections have a bias.

    Attributes:
        attention_weights: the weights of the last ``forward`` call,
            (batch * num_heads, queries, keys); row ``b * num_heads + h`` is
            head ``h`` of sequence ``b``. ``attention_weights_by_head`` shows
            them as (batch, num_heads, queries, keys).

    Raises:
        TypeError: a size is not an int.
        ValueError: a size is < 1, ``num_hiddens`` is not divisible by
            ``num_heads``, or ``dropout`` is outside [0, 1).
    """

    def __init__(
        self,
        key_size: int,
        query_size: int,
        value_size: int,
        num_hiddens: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = False,
    ) -> None:
        super().__init__()
        sizes = {"key_size": key_size, "query_size": query_size, "value_size": value_size,
                 "num_hiddens": num_hiddens, "num_heads": num_heads}
        for name, size in sizes.items():
            if not isinstance(size, int) or isinstance(size, bool):
                raise TypeError(f"{name} must be an int, got {type(size).__name__}")
            if size < 1:
                raise ValueError(f"{name} must be at least 1, got {size}")
        if num_hiddens % num_heads:
            raise ValueError(
                f"num_hiddens ({num_hiddens}) must be divisible by num_heads ({num_heads}): "
                "every head gets num_hiddens / num_heads features"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=bias)
        self.W_k = nn.Linear(key_size, num_hiddens, bias=bias)
        self.W_v = nn.Linear(value_size, num_hiddens, bias=bias)
        self.W_o = nn.Linear(num_hiddens, num_hiddens, bias=bias)
        self.attention_weights: torch.Tensor | None = None

    def forward(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        valid_lens: torch.Tensor | None = None,
        causal: bool = False,
    ) -> torch.Tensor:
        """Attend from each query to the keys, in every head.

        Args:
            queries: (batch, queries, query_size).
            keys: (batch, keys, key_size).
            values: (batch, keys, value_size).
            valid_lens: None, (batch,) or (batch, queries); the same lengths
                are used by every head.
            causal: if True, query ``i`` sees keys ``0 .. i`` only.

        Returns:
            (batch, queries, num_hiddens).

        Raises:
            TypeError, ValueError: see ``check_inputs``.
        """
        self.check_inputs(queries, keys, values, valid_lens)
        # Project, then split into heads of hd = num_hiddens / num_heads features each.
        queries = transpose_qkv(self.W_q(queries), self.num_heads)  # (batch*heads, queries, hd)
        keys = transpose_qkv(self.W_k(keys), self.num_heads)  # (batch*heads, keys, hd)
        values = transpose_qkv(self.W_v(values), self.num_heads)  # (batch*heads, keys, hd)
        if valid_lens is not None:
            # Rows b*heads .. b*heads + heads - 1 all belong to sequence b:
            # (batch*heads,) or (batch*heads, queries)
            valid_lens = torch.repeat_interleave(valid_lens, self.num_heads, dim=0)
        # Every head at once: (batch*heads, queries, hd)
        output = self.attention(queries, keys, values, valid_lens, causal=causal)
        self.attention_weights = self.attention.attention_weights  # (batch*heads, queries, keys)
        output = transpose_output(output, self.num_heads)  # (batch, queries, num_hiddens)
        return self.W_o(output)  # (batch, queries, num_hiddens)

    def check_inputs(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        valid_lens: torch.Tensor | None = None,
    ) -> None:
        """Raise unless the arguments of ``forward`` fit this layer.

        Raises:
            TypeError: an input is not a floating-point tensor, its dtype
                differs from the weights', or ``valid_lens`` is not integer.
            ValueError: a shape does not fit (see ``forward``), or a valid
                length is outside [0, keys].
        """
        check_attention_inputs(queries, keys, values)
        inputs = (("queries", queries, self.W_q), ("keys", keys, self.W_k),
                  ("values", values, self.W_v))
        for name, X, layer in inputs:
            if X.shape[-1] != layer.in_features:
                raise ValueError(
                    f"{name} must have shape (batch, steps, {layer.in_features}), "
                    f"got {tuple(X.shape)}"
                )
            if X.dtype != layer.weight.dtype:
                raise TypeError(
                    f"{name} has dtype {X.dtype} but the weights have {layer.weight.dtype}; "
                    "convert one to the other (e.g. layer.to(dtype))"
                )
        if valid_lens is not None:
            check_valid_lens(valid_lens, queries.shape[0], queries.shape[1], keys.shape[1])

    @property
    def attention_weights_by_head(self) -> torch.Tensor | None:
        """The last weights as (batch, num_heads, queries, keys), or None."""
        if self.attention_weights is None:
            return None
        _, num_queries, num_keys = self.attention_weights.shape
        return self.attention_weights.reshape(-1, self.num_heads, num_queries, num_keys)


class SDPAMultiHeadAttention(MultiHeadAttention):
    """``MultiHeadAttention`` computed with ``F.scaled_dot_product_attention``.

    It has the same parameters, under the same names, as
    ``MultiHeadAttention``, so ``load_state_dict`` moves weights between the
    two. The fused kernel does not return the weights: after a call,
    ``attention_weights`` is None. A query that may see no key (valid
    length 0) gets a zero head output, as with ``masked_softmax``.
    """

    def forward(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        valid_lens: torch.Tensor | None = None,
        causal: bool = False,
    ) -> torch.Tensor:
        """Same arguments, result and errors as ``MultiHeadAttention.forward``."""
        self.check_inputs(queries, keys, values, valid_lens)
        num_queries, num_keys = queries.shape[1], keys.shape[1]
        # Keep the heads on their own axis: (batch, heads, steps, head_size).
        Q = self.W_q(queries).unflatten(-1, (self.num_heads, -1)).transpose(1, 2)
        K = self.W_k(keys).unflatten(-1, (self.num_heads, -1)).transpose(1, 2)
        V = self.W_v(values).unflatten(-1, (self.num_heads, -1)).transpose(1, 2)
        keep = None  # True where a query may see a key
        if valid_lens is not None:
            if valid_lens.dim() == 1:
                valid_lens = valid_lens.unsqueeze(1).expand(-1, num_queries)  # (batch, queries)
            keep = length_mask(valid_lens, num_keys).unsqueeze(1)  # (batch, 1, queries, keys)
        if causal:
            allowed = causal_mask(num_queries, num_keys, device=queries.device)  # (queries, keys)
            keep = allowed if keep is None else keep & allowed  # (batch or 1, 1, queries, keys)
        dropout_p = self.attention.dropout.p if self.training else 0.0
        # (batch, heads, queries, head_size)
        output = F.scaled_dot_product_attention(Q, K, V, attn_mask=keep, dropout_p=dropout_p)
        if keep is not None:  # a query that sees no key gets zeros, as in masked_softmax
            output = output.masked_fill(~keep.any(dim=-1, keepdim=True), 0.0)
        self.attention_weights = None
        output = output.transpose(1, 2).flatten(2)  # (batch, queries, num_hiddens)
        return self.W_o(output)  # (batch, queries, num_hiddens)


def key_padding_mask(valid_lens: torch.Tensor, num_keys: int) -> torch.Tensor:
    """The ``key_padding_mask`` of ``torch.nn.MultiheadAttention`` for valid lengths.

    Args:
        valid_lens: integer tensor of shape (batch,), each in [0, num_keys].
        num_keys: the number of keys.

    Returns:
        Bool tensor (batch, num_keys), True at the padded keys (the ones
        PyTorch ignores): the opposite of ``length_mask``.

    Raises:
        TypeError: ``valid_lens`` is not an integer tensor.
        ValueError: ``valid_lens`` is not 1-D or has a length outside [0, num_keys].
    """
    if not isinstance(valid_lens, torch.Tensor) or valid_lens.dim() != 1:
        shape = tuple(valid_lens.shape) if isinstance(valid_lens, torch.Tensor) else None
        raise ValueError(
            "key_padding_mask needs valid_lens of shape (batch,) (one length per sequence), "
            f"got {shape if shape is not None else type(valid_lens).__name__}"
        )
    check_valid_lens(valid_lens, valid_lens.shape[0], None, num_keys)
    return ~length_mask(valid_lens, num_keys)  # (batch, keys)


def to_torch_multihead(mha: MultiHeadAttention) -> nn.MultiheadAttention:
    """A ``torch.nn.MultiheadAttention`` (batch_first) with a copy of ``mha``'s weights.

    PyTorch keeps W_q, W_k, W_v stacked in one ``in_proj_weight``
    (3 * num_hiddens, num_hiddens) when keys and values have num_hiddens
    features, and in ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``
    otherwise (``kdim``, ``vdim``); the biases are always stacked in
    ``in_proj_bias``. W_o is ``out_proj``. Dropout and train/eval mode are
    copied too.

    Raises:
        TypeError: ``mha`` is not a ``MultiHeadAttention``.
        ValueError: ``query_size`` differs from ``num_hiddens`` (PyTorch
            needs queries of size ``embed_dim``).
    """
    if not isinstance(mha, MultiHeadAttention):
        raise TypeError(f"mha must be a MultiHeadAttention, got {type(mha).__name__}")
    num_hiddens = mha.W_o.out_features
    if mha.W_q.in_features != num_hiddens:
        raise ValueError(
            "torch.nn.MultiheadAttention needs query_size == num_hiddens, got "
            f"query_size={mha.W_q.in_features} and num_hiddens={num_hiddens}"
        )
    bias = mha.W_q.bias is not None
    torch_mha = nn.MultiheadAttention(
        num_hiddens, mha.num_heads, dropout=mha.attention.dropout.p, bias=bias,
        kdim=mha.W_k.in_features, vdim=mha.W_v.in_features, batch_first=True,
        device=mha.W_o.weight.device, dtype=mha.W_o.weight.dtype,
    )
    with torch.no_grad():
        if torch_mha.in_proj_weight is not None:  # keys and values have num_hiddens features
            torch_mha.in_proj_weight.copy_(
                torch.cat([mha.W_q.weight, mha.W_k.weight, mha.W_v.weight])
            )  # (3 * num_hiddens, num_hiddens)
        else:
            torch_mha.q_proj_weight.copy_(mha.W_q.weight)  # (num_hiddens, query_size)
            torch_mha.k_proj_weight.copy_(mha.W_k.weight)  # (num_hiddens, key_size)
            torch_mha.v_proj_weight.copy_(mha.W_v.weight)  # (num_hiddens, value_size)
        torch_mha.out_proj.weight.copy_(mha.W_o.weight)  # (num_hiddens, num_hiddens)
        if bias:
            torch_mha.in_proj_bias.copy_(torch.cat([mha.W_q.bias, mha.W_k.bias, mha.W_v.bias]))
            torch_mha.out_proj.bias.copy_(mha.W_o.bias)
    return torch_mha.train(mha.training)
