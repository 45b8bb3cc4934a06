"""Checks for the coding exercises of lesson 11 (inference at scale).

- ``check_my_grouped_scores(my_grouped_scores)``: grouped-query scores in which query head h
  reads key-value head h // g, computed without making copies of the keys.
- ``check_my_preallocated_cache(MyPreallocatedCache)``: a key-value cache that writes into
  buffers of ``max_steps`` steps made once, run inside a ``TinyDecoder`` against lesson 11's
  ``KVCache``, and that raises a ``ValueError`` when the new steps do not fit.

Each check names the case and the property that breaks: the tiled order of heads, a missing
scale, keys copied once per query head; a length or a number of steps that is not the number
cached, keys that move to new memory at every step, buffers larger than ``max_steps``, a
step past ``max_steps`` that ``update`` does not refuse, buffers kept where ``num_bytes()``
does not count them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check
from attn_course.checks.i18n import N_, _
from attn_course.support.memory import PeakMemory

# ------------------------------------------------------------------ grouped scores


def _grouped_scores(Q: torch.Tensor, K: torch.Tensor, tiled: bool = False) -> torch.Tensor:
    """Reference: query head h reads kv head h // g (tiled: h % num_kv_heads)."""
    group_size = Q.shape[1] // K.shape[1]
    if tiled:
        K = K.repeat(1, group_size, 1, 1)
    else:
        K = K.repeat_interleave(group_size, dim=1)
    return Q @ K.transpose(-1, -2) / math.sqrt(Q.shape[-1])  # (batch, heads, q, k)


def check_my_grouped_scores(student: Callable) -> None:
    """Check ``my_grouped_scores(Q, K)``: Q (batch, num_heads, queries, head_size),
    K (batch, num_kv_heads, keys, head_size) -> (batch, num_heads, queries, keys)."""
    generator = torch.Generator().manual_seed(0)
    peaks: dict[str, int] = {}

    def case(description: str, batch: int, heads: int, kv_heads: int, queries: int) -> Case:
        Q = torch.randn(batch, heads, queries, 32, generator=generator)
        K = torch.randn(batch, kv_heads, 64, 32, generator=generator)
        return Case(description, (Q, K), expected=_grouped_scores(Q, K))

    cases = [
        case(_("8 query heads, 2 kv heads, one new query (a decoding step)"), 1, 8, 2, 1),
        case(_("6 query heads, 3 kv heads, batch 2, 4 queries"), 2, 6, 3, 4),
        case(_("4 query heads, 1 kv head (multi-query), batch 2, 3 queries"), 2, 4, 1, 3),
        case(_("4 query heads, 4 kv heads (multi-head: nothing shared)"), 1, 4, 4, 2),
    ]

    def measured(Q: torch.Tensor, K: torch.Tensor) -> Any:
        with PeakMemory() as memory:
            try:
                return student(Q, K)
            finally:
                peaks[_key(Q, K)] = memory.peak

    def diagnose(actual: Any, expected: Any, case: Case) -> Failure | None:
        Q, K = case.args
        if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
            return None
        if not actual.is_floating_point():
            return None
        group_size = Q.shape[1] // K.shape[1]
        if torch.allclose(actual, expected, atol=1e-5):
            copies = K.nbytes * group_size
            peak = peaks.get(_key(Q, K), 0)
            if group_size > 1 and peak >= copies:
                return Failure(
                    "copied",
                    _(
                        "right scores, but the call made {peak:,} bytes of tensors at its peak: "
                        "K has {key_bytes:,} bytes, and {group_size} copies of it have {copies:,}"
                    ).format(peak=peak, key_bytes=K.nbytes, group_size=group_size, copies=copies),
                )
            return None
        if (
            group_size > 1
            and K.shape[1] > 1
            and torch.allclose(actual, _grouped_scores(Q, K, tiled=True), atol=1e-5)
        ):
            heads, kv_heads = Q.shape[1], K.shape[1]
            tiled = ", ".join(str(h % kv_heads) for h in range(heads))
            grouped = ", ".join(str(h // group_size) for h in range(heads))
            return Failure(
                "layout",
                _(
                    "query head 1 read key-value head 1: query heads 0 to {last} read "
                    "key-value heads {tiled}, not {grouped}"
                ).format(last=heads - 1, tiled=tiled, grouped=grouped),
            )
        if torch.allclose(actual, expected * math.sqrt(Q.shape[-1]), atol=1e-4):
            return Failure("scale", _("the scores are sqrt(head_size) times too large"))
        return None

    run_check("my_grouped_scores", measured, None, cases, hints=GROUPED_HINTS, diagnose=diagnose)


def _key(Q: torch.Tensor, K: torch.Tensor) -> str:
    """The same name for a case's tensors and for their clones: their shapes."""
    return f"{tuple(Q.shape)} {tuple(K.shape)}"


GROUPED_HINTS = {
    "copied": [
        N_(
            "The values are right. How many copies of K did your function make, counting the ones "
            "that repeat, indexing or broadcasting in a matmul make for you?"
        ),
        N_(
            "The g query heads of one group all meet the same keys. Can they stand in one tensor "
            "that is multiplied by that key-value head once?"
        ),
    ],
    "layout": [
        N_(
            "Which key-value head does query head 1 read in your result, and which should it read "
            "when 4 query heads share 2 key-value heads?"
        ),
        N_(
            "Query head h = j * g + r belongs to group j. When you split the heads axis into two, "
            "which of the two new axes must come first?"
        ),
    ],
    "scale": [
        N_("Attention scores are scaled dot products. Which factor is missing?"),
    ],
    "shape": [
        N_(
            "The result has one score per query head, query and key: (batch, num_heads, queries, "
            "keys). Which axis of yours differs?"
        ),
        N_("Print the shape after each line of your function on the multi-query case."),
    ],
}

# ------------------------------------------------------------------ preallocated cache

_VOCAB = 30


def _decode(
    cache_class: Callable,
    steps: int,
    max_steps: int,
    kv_heads: int,
    batch: int,
    seen: dict[str, Any] | None = None,
) -> torch.Tensor:
    """Logits (batch, steps, vocab) of a 2-layer TinyDecoder fed a 4-token prompt, then one
    token at a time, through ``cache_class(max_steps)``. ``seen`` records the first call at
    which the cache's length or returned steps disagreed with what it was given, the first
    time a layer's keys moved to new memory, the first layer whose keys and values sit in
    memory with room for more than ``max_steps`` steps, a ``ValueError`` that ``update``
    raised, and, after the decoding, what ``num_bytes()`` counts against the bytes of buffers of
    ``max_steps`` steps."""
    from attn_course.kvcache import TinyDecoder

    seen = {} if seen is None else seen
    seen.update(problem=None, moved=None, addresses={}, room=None, refused=None, counted=None)
    generator = torch.Generator().manual_seed(steps * 100 + kv_heads)
    with torch.random.fork_rng():  # seeded weights; the global generator is left alone
        torch.manual_seed(kv_heads)
        model = TinyDecoder(_VOCAB, 32, 4, kv_heads, num_layers=2).eval()
    tokens = torch.randint(0, _VOCAB, (batch, steps), generator=generator)
    cache = cache_class(max_steps)
    cached = [0, 0]  # steps given to each layer so far
    seen["given"] = cached
    length, update = cache.length, cache.update

    def watched_length(layer: int) -> int:
        said = length(layer)
        if seen["problem"] is None and said != cached[layer]:
            seen["problem"] = ("length", layer, said, cached[layer])
        return said

    def watched_update(layer: int, K: torch.Tensor, V: torch.Tensor) -> Any:
        try:
            result = update(layer, K, V)
        except ValueError:
            seen["refused"] = (layer, cached[layer] + K.shape[1])
            raise
        cached[layer] += K.shape[1]
        keys = result[0] if isinstance(result, (tuple, list)) and result else None
        if isinstance(keys, torch.Tensor) and keys.dim() == 3:
            if seen["problem"] is None and keys.shape[1] != cached[layer]:
                kind = "layers" if keys.shape[1] == sum(cached) else "steps"
                seen["problem"] = (kind, layer, keys.shape[1], cached[layer])
            address = keys.untyped_storage().data_ptr()
            first = seen["addresses"].setdefault(layer, address)
            if seen["moved"] is None and address != first:
                seen["moved"] = (layer, cached[layer])
            values = result[1] if len(result) > 1 else None
            if seen["room"] is None and isinstance(values, torch.Tensor):
                # the memory behind this layer's keys and values, counted once if shared
                storages = {keys.untyped_storage().data_ptr(): keys.untyped_storage().nbytes()}
                storages[values.untyped_storage().data_ptr()] = values.untyped_storage().nbytes()
                step_bytes = 2 * K.shape[0] * K.shape[2] * K.element_size()  # a K and a V
                room = sum(storages.values()) // step_bytes
                if room > max_steps:
                    seen["room"] = (layer, room)
        return result

    cache.length, cache.update = watched_length, watched_update
    with torch.no_grad():
        logits = [model(tokens[:, :4], cache)]  # the prompt in one call
        logits += [model(tokens[:, t : t + 1], cache) for t in range(4, steps)]
    # K and V of every layer in buffers of max_steps steps: what num_bytes() should count
    head_size = 32 // 4
    buffers = 2 * len(model.layers) * batch * kv_heads * max_steps * head_size * 4  # float32
    try:
        seen["counted"] = (cache.num_bytes(), buffers)
    except Exception as error:  # e.g. self.keys no longer a list of tensors
        seen["counted"] = (f"{type(error).__name__}: {error}", buffers)
    return torch.cat(logits, dim=1)


def _reference_logits(steps: int, kv_heads: int, batch: int) -> torch.Tensor:
    """The same decoder and tokens through lesson 11's KVCache."""
    from attn_course.kvcache import KVCache

    return _decode(lambda max_steps: KVCache(), steps, steps, kv_heads, batch)


def check_my_preallocated_cache(student: Callable) -> None:
    """Check ``MyPreallocatedCache(max_steps)``: ``length(layer)`` and ``update(layer, K, V)``
    as in ``KVCache``, writing into buffers of ``max_steps`` steps made once per layer;
    ``update`` raises a ``ValueError`` when the new steps do not fit."""
    seen_by_case: dict[tuple, dict[str, Any]] = {}

    def case(description: str, steps: int, max_steps: int, kv_heads: int, batch: int) -> Case:
        args = (steps, max_steps, kv_heads, batch)
        return Case(description, args, expected=_reference_logits(steps, kv_heads, batch))

    cases = [
        case(_("4-token prompt, 6 more tokens, room for 16 steps"), 10, 16, 2, 1),
        case(_("batch 3, 1 kv head, room for 32 steps"), 12, 32, 1, 3),
        case(_("the buffers filled exactly: 9 steps in room for 9"), 9, 9, 4, 2),
        Case(
            _("one step too many: the 10th of 10 steps in room for 9"),
            (10, 9, 4, 2),
            {},
            _REFUSED,
        ),
    ]

    def run(steps: int, max_steps: int, kv_heads: int, batch: int) -> torch.Tensor | None:
        seen = seen_by_case.setdefault((steps, max_steps, kv_heads, batch), {})
        try:
            logits = _decode(student, steps, max_steps, kv_heads, batch, seen)
        except NotImplementedError:
            raise
        except Exception as error:
            full = seen.get("given", [0])[0] >= max_steps  # failed once the buffers were full
            if steps > max_steps and (full or seen.get("problem") is not None):
                if seen.get("refused") is not None:  # the case that overflows: update refused
                    return _REFUSED
                seen["late"] = f"{type(error).__name__}: {error}"
                return None
            if seen.get("problem") is None:
                raise  # reported as an error of the student's code
            return None  # a wrong length or step count made the decoder fail: name it
        return logits

    def diagnose(actual: Any, expected: Any, case: Case) -> Failure | None:
        seen = seen_by_case.get(case.args, {})
        steps, max_steps = case.args[:2]
        if steps > max_steps and isinstance(actual, str) and actual == _REFUSED:
            return None
        problem = seen.get("problem")
        # a problem met only at the step past max_steps is the overflow's, reported below
        if problem is not None and problem[3] <= max_steps:
            kind, layer, said, truth = problem
            if kind == "length":
                detail = _("length({layer}) said {said} when {truth} steps were cached")
            elif kind == "layers":
                detail = _(
                    "update({layer}, ...) returned keys of {said} steps, those of every "
                    "layer, when this layer had {truth}"
                )
            else:
                detail = _(
                    "update({layer}, ...) returned keys of {said} steps when {truth} steps "
                    "were cached"
                )
            return Failure(kind, detail.format(layer=layer, said=said, truth=truth))
        if steps > max_steps:
            late = seen.get("late")
            if late:
                detail = _(
                    "update raised no ValueError when step {steps} came to room for "
                    "{max_steps}; the decoding then failed with {error}"
                )
            else:
                detail = _(
                    "update raised no ValueError when step {steps} came to room for {max_steps}"
                )
            return Failure("overflow", detail.format(steps=steps, max_steps=max_steps, error=late))
        if seen.get("moved") is not None and torch.allclose(actual, expected, atol=1e-5):
            layer, truth = seen["moved"]
            return Failure(
                "moved",
                _(
                    "right logits, but the keys of layer {layer} moved to new memory when "
                    "{truth} steps were cached"
                ).format(layer=layer, truth=truth),
            )
        if seen.get("room") is not None and torch.allclose(actual, expected, atol=1e-5):
            layer, room = seen["room"]
            return Failure(
                "room",
                _(
                    "right logits, but the keys and values of layer {layer} sit in memory with "
                    "room for {room} steps, and max_steps is {max_steps}"
                ).format(layer=layer, room=room, max_steps=max_steps),
            )
        counted = seen.get("counted")
        if counted is not None and counted[0] != counted[1]:
            if torch.allclose(actual, expected, atol=1e-5):
                said, buffers = counted
                said = _("{count:,} bytes").format(count=said) if isinstance(said, int) else said
                return Failure(
                    "bytes",
                    _(
                        "right logits, but num_bytes() counted {said} where the buffers of "
                        "max_steps steps hold {buffers:,} bytes: keep the buffers in self.keys "
                        "and self.values"
                    ).format(said=said, buffers=buffers),
                )
        return None

    run_check("MyPreallocatedCache", run, None, cases, hints=CACHE_HINTS, diagnose=diagnose)


_REFUSED = "update raised a ValueError"

CACHE_HINTS = {
    "length": [
        N_(
            "How many steps has the cache received for this layer, and how many does your "
            "length(layer) report? The buffer's size is not the same thing."
        ),
        N_(
            "TinyDecoder reads length(0) to place the new tokens' positions, and "
            "cached_self_attention reads length(layer) for the valid lengths: where does your "
            "cache remember how many steps each layer holds?"
        ),
    ],
    "steps": [
        N_(
            "update must return every step cached so far, and no more: the attention scores "
            "whatever keys it is given. How many steps do yours have?"
        ),
        N_("The buffer has max_steps steps; how many of them hold keys at this point?"),
    ],
    "layers": [
        N_("Which buffers does update write into for layer 1: its own, or another layer's?"),
        N_(
            "Each layer has its own keys and values. Where does your cache keep one buffer per "
            "layer, and which index picks it?"
        ),
    ],
    "moved": [
        N_(
            "The logits are right, but the keys moved to new memory: something made a new tensor "
            "of all the steps. Which line builds one?"
        ),
        N_(
            "Does what update returns share memory with the buffer it wrote into? A slice of a "
            "tensor does; torch.cat and clone make new memory."
        ),
    ],
    "room": [
        N_(
            "The logits are right. How many steps can your buffers hold, and how many did "
            "MyPreallocatedCache(max_steps) ask for?"
        ),
        N_(
            "The buffers are made once, at a layer's first call: what size does your code give "
            "their steps axis?"
        ),
    ],
    "bytes": [
        N_(
            "The logits are right. KVCache's num_bytes() adds up the tensors in self.keys and "
            "self.values: what does it find there in your cache?"
        ),
        N_(
            "Each layer's whole buffers, of max_steps steps, belong in self.keys[layer] and "
            "self.values[layer]; the part written so far is told by length(layer)."
        ),
    ],
    "overflow": [
        N_(
            "What does your update do when the new steps do not fit in the buffers? Writing one "
            "step into a slice past the end of a tensor raises no error: its steps axis of size 1 "
            "broadcasts to the empty slice."
        ),
        N_(
            "Before writing, how many steps would this layer hold after the call, and how does "
            "that compare with max_steps? What should update do when it is more?"
        ),
    ],
    "values": [
        N_(
            "The logits differ from KVCache's. Does every layer keep its own buffers, and do the "
            "new steps land right after the ones already written?"
        ),
        N_(
            "Run your cache and a KVCache side by side on the same decoder, and compare what "
            "update returns at each call."
        ),
    ],
}
