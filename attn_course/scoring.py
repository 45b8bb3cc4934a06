"""Attention scoring functions as attention layers (lesson 04).

Every layer here is an ``AttentionPooling``: it scores each query against
each key with its own ``score(queries, keys)``, turns the scores into
weights with ``masked_softmax`` and averages the values with them. Each takes
``forward(queries, keys, values, valid_lens=None, causal=False)`` with
queries (batch, queries, d_q), keys (batch, keys, d_k), values
(batch, keys, d_v), returns (batch, queries, d_v), and keeps the weights of
its last call in ``attention_weights`` (batch, queries, keys).

The four scores of a query q and a key k:

- additive: ``w_v^T tanh(W_q q + W_k k)`` (``AdditiveAttention``)
- dot product: ``q^T k`` (``DotProductAttention(scaled=False)``)
- scaled dot product: ``q^T k / sqrt(d)`` (``DotProductAttention()``)
- bilinear (general): ``q^T W k`` (``BilinearAttention``)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from attn_course.masking import masked_softmax
from attn_course.validation import check_attention_inputs, check_float_tensor


def check_queries_and_keys(
    queries: object, keys: object, dtype: torch.dtype | None = None
) -> None:
    """Check queries (batch, queries, d_q) and keys (batch, keys, d_k) for a score.

    Args:
        queries: floating-point tensor of shape (batch, queries, d_q).
        keys: floating-point tensor of shape (batch, keys, d_k).
        dtype: the dtype of the layer's parameters, or None for a score
            without parameters; queries and keys must then have this dtype.

    Raises:
        TypeError: an argument is not a floating-point tensor, queries and
            keys differ in dtype, or they do not have ``dtype``.
        ValueError: an argument is not 3-D, or the batch sizes differ.
    """
    check_float_tensor("queries", queries, ndim=3)
    check_float_tensor("keys", keys, ndim=3)
    assert isinstance(queries, torch.Tensor) and isinstance(keys, torch.Tensor)
    if queries.shape[0] != keys.shape[0]:
        raise ValueError(
            "queries (batch, queries, d_q) and keys (batch, keys, d_k) must have the same "
            f"batch size, got {tuple(queries.shape)} and {tuple(keys.shape)}"
        )
    if queries.dtype != keys.dtype:
        raise TypeError(
            f"queries and keys must have the same dtype, got {queries.dtype} and {keys.dtype}"
        )
    if dtype is not None and queries.dtype != dtype:
        raise TypeError(
            f"the layer's parameters are {dtype} but queries and keys are {queries.dtype}: "
            f"convert the layer with layer.to({queries.dtype}) or the inputs with .to({dtype})"
        )


class AttentionPooling(nn.Module):
    """Attention pooling around a score: softmax(score(Q, K)) V.

    Subclasses define ``score(queries, keys)``, which returns one score per
    query-key pair, shape (batch, queries, keys). The weights of the last
    call are kept in ``attention_weights`` (batch, queries, keys).
    """

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.attention_weights: torch.Tensor | None = None

    def score(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """Scores of shape (batch, queries, keys); each subclass defines its own."""
        raise NotImplementedError("a subclass of AttentionPooling must define score()")

    def forward(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        valid_lens: torch.Tensor | None = None,
        causal: bool = False,
    ) -> torch.Tensor:
        """Attend from each query to the keys and average the values.

        Args:
            queries: (batch, queries, d_q).
            keys: (batch, keys, d_k).
            values: (batch, keys, d_v), of the dtype of queries and keys.
            valid_lens: None, (batch,) or (batch, queries); see ``masked_softmax``.
            causal: if True, query ``i`` sees keys ``0 .. i`` only.

        Returns:
            (batch, queries, d_v).

        Raises:
            TypeError: an argument is not a floating-point tensor, the dtypes
                differ, or ``valid_lens`` is not an integer tensor.
            ValueError: an argument is not 3-D, the sizes do not fit the
                score, or ``valid_lens`` has the wrong shape or a length
                outside [0, keys].
        """
        check_attention_inputs(queries, keys, values)
        if values.dtype != queries.dtype:
            raise TypeError(
                f"values must have the dtype of queries and keys ({queries.dtype}), "
                f"got {values.dtype}"
            )
        scores = self.score(queries, keys)  # (batch, queries, keys)
        self.attention_weights = masked_softmax(scores, valid_lens, causal=causal)
        return torch.bmm(self.dropout(self.attention_weights), values)  # (batch, queries, d_v)


class DotProductAttention(AttentionPooling):
    """Dot-product attention: score(q, k) = q^T k / sqrt(d), or q^T k if not scaled.

    Queries and keys must have the same size ``d``. No parameters.
    """

    def __init__(self, dropout: float = 0.0, scaled: bool = True) -> None:
        super().__init__(dropout)
        self.scaled = scaled

    def score(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """Dot products of queries (batch, queries, d) and keys (batch, keys, d).

        Returns:
            (batch, queries, keys), divided by sqrt(d) if ``self.scaled``.

        Raises:
            TypeError, ValueError: as ``check_queries_and_keys``, or
            ValueError if queries and keys differ in size ``d``.
        """
        check_queries_and_keys(queries, keys)
        d = queries.shape[-1]
        if keys.shape[-1] != d:
            raise ValueError(
                "dot-product attention needs queries (batch, queries, d) and keys "
                f"(batch, keys, d) of the same size d, got {tuple(queries.shape)} "
                f"and {tuple(keys.shape)}"
            )
        scores = torch.bmm(queries, keys.transpose(1, 2))  # (batch, queries, keys)
        if self.scaled:
            scores = scores / math.sqrt(d)
        return scores


class AdditiveAttention(AttentionPooling):
    """Additive attention: score(q, k) = w_v^T tanh(W_q q + W_k k).

    Queries and keys may have different sizes; both are projected to
    ``num_hiddens`` features before they are added.
    Parameters: W_q (num_hiddens, query_size), W_k (num_hiddens, key_size),
    w_v (1, num_hiddens).
    """

    def __init__(
        self, key_size: int, query_size: int, num_hiddens: int, dropout: float = 0.0
    ) -> None:
        super().__init__(dropout)
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)

    def score(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """Additive scores of queries (batch, queries, query_size) and keys (batch, keys, key_size).

        Returns:
            (batch, queries, keys).

        Raises:
            TypeError, ValueError: as ``check_queries_and_keys`` (with the
            parameters' dtype), or ValueError if the feature sizes differ
            from ``query_size`` and ``key_size``.
        """
        check_queries_and_keys(queries, keys, dtype=self.W_q.weight.dtype)
        if queries.shape[-1] != self.W_q.in_features or keys.shape[-1] != self.W_k.in_features:
            raise ValueError(
                f"expected queries (batch, queries, {self.W_q.in_features}) and keys "
                f"(batch, keys, {self.W_k.in_features}), got {tuple(queries.shape)} "
                f"and {tuple(keys.shape)}"
            )
        projected_queries = self.W_q(queries)  # (batch, queries, num_hiddens)
        projected_keys = self.W_k(keys)  # (batch, keys, num_hiddens)
        # Add every query to every key by broadcasting.
        features = projected_queries.unsqueeze(2) + projected_keys.unsqueeze(1)
        features = torch.tanh(features)  # (batch, queries, keys, num_hiddens)
        return self.w_v(features).squeeze(-1)  # (batch, queries, keys)


class BilinearAttention(AttentionPooling):
    """Bilinear (general) attention: score(q, k) = q^T W k.

    Queries and keys may have different sizes; W has shape
    (query_size, key_size), stored as ``self.W.weight``.
    """

    def __init__(self, key_size: int, query_size: int, dropout: float = 0.0) -> None:
        super().__init__(dropout)
        self.W = nn.Linear(key_size, query_size, bias=False)  # k -> W k

    def score(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """Bilinear scores of queries (batch, queries, query_size) and keys (batch, keys, key_size).

        Returns:
            (batch, queries, keys).

        Raises:
            TypeError, ValueError: as ``check_queries_and_keys`` (with the
            parameters' dtype), or ValueError if the feature sizes differ
            from ``query_size`` and ``key_size``.
        """
        check_queries_and_keys(queries, keys, dtype=self.W.weight.dtype)
        query_size, key_size = self.W.out_features, self.W.in_features
        if queries.shape[-1] != query_size or keys.shape[-1] != key_size:
            raise ValueError(
                f"expected queries (batch, queries, {query_size}) and keys "
                f"(batch, keys, {key_size}), got {tuple(queries.shape)} "
                f"and {tuple(keys.shape)}"
            )
        transformed_keys = self.W(keys)  # (batch, keys, query_size)
        return torch.bmm(queries, transformed_keys.transpose(1, 2))  # (batch, queries, keys)
