"""Positional encodings: telling self-attention where each token sits (lesson 08).

Self-attention treats its input as a set: permute the tokens and the
outputs are permuted the same way. Adding a position-dependent vector to
each token breaks that symmetry. ``PositionalEncoding`` adds fixed
sinusoids; ``LearnedPositionalEncoding`` learns one vector per position.
"""

from __future__ import annotations

import torch
from torch import nn

from attn_course.validation import check_float_tensor


def sinusoidal_encoding(max_len: int, num_hiddens: int) -> torch.Tensor:
    """The sinusoidal position table P of shape (max_len, num_hiddens).

    Row i encodes position i; column pair (2j, 2j+1) is a sine and a cosine
    of frequency omega_j = 1 / 10000^(2j / num_hiddens):
    ``P[i, 2j] = sin(i * omega_j)`` and ``P[i, 2j+1] = cos(i * omega_j)``.

    Args:
        max_len: the number of positions, at least 1.
        num_hiddens: the encoding size d, a positive even number (every
            frequency needs its sine and its cosine column).

    Returns:
        A float32 tensor (max_len, num_hiddens), values in [-1, 1].

    Raises:
        ValueError: ``max_len`` < 1, or ``num_hiddens`` is not a positive
            even int.
    """
    if not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"max_len must be an int >= 1, got {max_len!r}")
    if not isinstance(num_hiddens, int) or num_hiddens < 2 or num_hiddens % 2:
        raise ValueError(
            "num_hiddens must be a positive even int (a sine and a cosine column per "
            f"frequency), got {num_hiddens!r}"
        )
    positions = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1)  # (max_len, 1)
    exponents = torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens  # (d/2,)
    angles = positions / torch.pow(10000, exponents)  # (max_len, d/2): i * omega_j
    P = torch.zeros(max_len, num_hiddens)  # (max_len, d)
    P[:, 0::2] = torch.sin(angles)
    P[:, 1::2] = torch.cos(angles)
    return P


def check_encoding_input(X: object, max_len: int, num_hiddens: int) -> None:
    """Check the input of a positional encoding: (batch, steps, num_hiddens), steps <= max_len.

    Raises:
        TypeError: X is not a floating-point tensor.
        ValueError: X is not 3-D, its last size is not ``num_hiddens``, or
            it has more than ``max_len`` steps.
    """
    check_float_tensor("X", X, ndim=3)
    assert isinstance(X, torch.Tensor)  # for type checkers
    if X.shape[-1] != num_hiddens:
        raise ValueError(
            f"X must have shape (batch, steps, {num_hiddens}), got {tuple(X.shape)}"
        )
    if X.shape[1] > max_len:
        raise ValueError(
            f"X has {X.shape[1]} steps but the encoding only covers max_len={max_len} "
            "positions; build it with a larger max_len"
        )


class PositionalEncoding(nn.Module):
    """Add the fixed sinusoidal position table to a batch of sequences, then dropout.

    The table ``P`` (1, max_len, num_hiddens) is a non-trainable buffer,
    so it moves with the module to another device and is not learned.
    """

    def __init__(self, num_hiddens: int, dropout: float, max_len: int = 1000) -> None:
        """Build the table for positions 0 .. max_len - 1.

        Raises:
            ValueError: as ``sinusoidal_encoding`` (``num_hiddens`` odd or
                not positive, ``max_len`` < 1).
        """
        super().__init__()
        self.num_hiddens = num_hiddens
        self.max_len = max_len
        self.dropout = nn.Dropout(dropout)
        P = sinusoidal_encoding(max_len, num_hiddens).unsqueeze(0)  # (1, max_len, d)
        self.register_buffer("P", P, persistent=False)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Add the encoding of positions 0 .. steps - 1.

        Args:
            X: (batch, steps, num_hiddens), any float dtype.

        Returns:
            dropout(X + P[:, :steps]), shape and dtype of X.

        Raises:
            TypeError: X is not a floating-point tensor.
            ValueError: X is not 3-D, its last size is not ``num_hiddens``,
                or it has more than ``max_len`` steps.
        """
        check_encoding_input(X, self.max_len, self.num_hiddens)
        steps = X.shape[1]
        X = X + self.P[:, :steps].to(X.dtype)  # (batch, steps, d)
        return self.dropout(X)


class LearnedPositionalEncoding(nn.Module):
    """Add a learned vector per position (one trainable row per position), then dropout.

    The table ``P`` (1, max_len, num_hiddens) is an ``nn.Parameter``
    initialised with small random values (standard deviation 0.02); training
    shapes it. Unlike the sinusoids it knows nothing about positions it was
    never trained on, and it has no value at all past ``max_len``.
    """

    def __init__(self, num_hiddens: int, dropout: float, max_len: int = 1000) -> None:
        """Create the table for positions 0 .. max_len - 1.

        Raises:
            ValueError: ``num_hiddens`` or ``max_len`` is not a positive int.
        """
        super().__init__()
        for name, value in (("num_hiddens", num_hiddens), ("max_len", max_len)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        self.num_hiddens = num_hiddens
        self.max_len = max_len
        self.dropout = nn.Dropout(dropout)
        self.P = nn.Parameter(0.02 * torch.randn(1, max_len, num_hiddens))  # (1, max_len, d)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Add the learned vectors of positions 0 .. steps - 1.

        Args:
            X: (batch, steps, num_hiddens), any float dtype.

        Returns:
            dropout(X + P[:, :steps]), shape and dtype of X.

        Raises:
            TypeError: X is not a floating-point tensor.
            ValueError: X is not 3-D, its last size is not ``num_hiddens``,
                or it has more than ``max_len`` steps.
        """
        check_encoding_input(X, self.max_len, self.num_hiddens)
        steps = X.shape[1]
        X = X + self.P[:, :steps].to(X.dtype)  # (batch, steps, d)
        return self.dropout(X)
