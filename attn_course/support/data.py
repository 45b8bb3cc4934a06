"""Data for translation (lesson 05): a made-up task with gold alignments, a
vocabulary, the loader of the tab-separated English-French file, and batches.

The made-up task translates between two small invented languages whose word
order differs, so a model must learn to look back at the right source word:

- the source language puts adjectives before nouns and the verb in the
  middle (subject verb object, as English does);
- the target language puts adjectives after nouns, marks the subject with
  the particle ``ka`` and the object with ``ru``, and puts the verb last.

Every pair carries its gold alignment: for each target token, the position
of the source token it translates (None for the particles, which translate
nothing). Everything is generated from a seed; nothing is downloaded.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)

# The lexicon: source word -> target word, one to one, by part of speech.
NOUNS = {
    "cat": "mako", "dog": "teri", "bird": "sulo", "fish": "pina", "horse": "goru",
    "mouse": "lemi", "fox": "vazo", "bear": "bunu", "frog": "kiro", "owl": "dafe",
    "wolf": "wolo", "goat": "zeti",
}  # fmt: skip
ADJECTIVES = {
    "big": "ral", "small": "fen", "red": "dor", "green": "lis", "old": "mun",
    "young": "tep", "happy": "gaz", "sad": "bim", "fast": "sor", "quiet": "kel",
}  # fmt: skip
VERBS = {
    "sees": "nakta", "likes": "pilsu", "chases": "dorvi", "finds": "mekra",
    "hears": "suntu", "helps": "valdo", "feeds": "rigna", "follows": "folpa",
    "meets": "tesku", "watches": "bemri",
}  # fmt: skip
ADVERBS = {"often": "oska", "never": "ulmi", "today": "edra", "slowly": "yenta", "again": "ibro"}
CONJUNCTION = {"and": "en"}
SUBJECT_PARTICLE, OBJECT_PARTICLE = "ka", "ru"
MAX_ADJECTIVES = 2  # per noun phrase
MAX_CLAUSES = 3
MIN_CLAUSE_LEN = 3  # noun verb noun
MAX_CLAUSE_LEN = 3 + 2 * MAX_ADJECTIVES + 1  # with every adjective and an adverb


@dataclass(frozen=True)
class TranslationPair:
    """One sentence pair of the made-up task.

    Attributes:
        source: source tokens (no ``<eos>``).
        target: target tokens (no ``<eos>``).
        alignment: one entry per target token: the index in ``source`` of
            the word it translates, or None for a particle.
    """

    source: tuple[str, ...]
    target: tuple[str, ...]
    alignment: tuple[int | None, ...]


def _clause(rng: random.Random, extra: int) -> tuple[list[str], list[str], list[int | None]]:
    """One clause with ``3 + extra`` source tokens, its translation and alignment."""
    # Five places for the extra words: two adjectives on each noun, one adverb.
    places = rng.sample(["subject", "subject", "object", "object", "adverb"], extra)
    subject_adjs = rng.sample(sorted(ADJECTIVES), places.count("subject"))
    object_adjs = rng.sample(sorted(ADJECTIVES), places.count("object"))
    subject, obj = rng.choice(sorted(NOUNS)), rng.choice(sorted(NOUNS))
    verb = rng.choice(sorted(VERBS))
    adverb = [rng.choice(sorted(ADVERBS))] if "adverb" in places else []
    # Source order: adjectives noun verb adjectives noun [adverb].
    source = [*subject_adjs, subject, verb, *object_adjs, obj, *adverb]
    i_subject = len(subject_adjs)
    i_verb = i_subject + 1
    i_object = i_verb + 1 + len(object_adjs)
    # Target order: noun adjectives ka noun adjectives ru [adverb] verb.
    target: list[str] = []
    alignment: list[int | None] = []

    def emit(word: str, source_index: int | None) -> None:
        target.append(word)
        alignment.append(source_index)

    emit(NOUNS[subject], i_subject)
    for k, adj in enumerate(subject_adjs):
        emit(ADJECTIVES[adj], k)
    emit(SUBJECT_PARTICLE, None)
    emit(NOUNS[obj], i_object)
    for k, adj in enumerate(object_adjs):
        emit(ADJECTIVES[adj], i_verb + 1 + k)
    emit(OBJECT_PARTICLE, None)
    if adverb:
        emit(ADVERBS[adverb[0]], i_object + 1)
    emit(VERBS[verb], i_verb)
    return source, target, alignment


def max_source_len(max_clauses: int = MAX_CLAUSES) -> int:
    """The longest source with ``max_clauses`` clauses: 26 for 3 clauses, 44 for 5."""
    return max_clauses * (MAX_CLAUSE_LEN + 1) - 1


def make_pair(rng: random.Random, length: int, max_clauses: int = MAX_CLAUSES) -> TranslationPair:
    """Draw one pair whose source has exactly ``length`` tokens.

    Args:
        rng: the random generator to draw from.
        length: the number of source tokens, from 3 to ``max_source_len(max_clauses)``.
        max_clauses: the most clauses a sentence may have (3 unless you ask for
            longer sentences; the default draws are the same as before it existed).

    Raises:
        ValueError: no sentence of this grammar has ``length`` tokens.
    """
    if not isinstance(max_clauses, int) or max_clauses < 1:
        raise ValueError(f"max_clauses must be a positive int, got {max_clauses!r}")
    min_len, max_len = MIN_CLAUSE_LEN, max_source_len(max_clauses)
    if not isinstance(length, int) or not min_len <= length <= max_len:
        raise ValueError(f"length must be an int from {min_len} to {max_len}, got {length!r}")
    # k clauses joined by k - 1 "and"s hold from 4k - 1 to 9k - 1 tokens.
    feasible = [
        k
        for k in range(1, max_clauses + 1)
        if k * MIN_CLAUSE_LEN + k - 1 <= length <= k * MAX_CLAUSE_LEN + k - 1
    ]
    num_clauses = rng.choice(feasible)
    extra = length - (num_clauses - 1) - num_clauses * MIN_CLAUSE_LEN
    # Share the extra words between the clauses, at most 4 + 1 each.
    extras = [0] * num_clauses
    for _ in range(extra):
        open_clauses = [c for c in range(num_clauses) if extras[c] < MAX_CLAUSE_LEN - 3]
        extras[rng.choice(open_clauses)] += 1
    source: list[str] = []
    target: list[str] = []
    alignment: list[int | None] = []
    for c in range(num_clauses):
        if c > 0:
            source.append("and")
            target.append(CONJUNCTION["and"])
            alignment.append(len(source) - 1)
        clause_source, clause_target, clause_alignment = _clause(rng, extras[c])
        offset = len(source)
        source += clause_source
        target += clause_target
        alignment += [None if a is None else a + offset for a in clause_alignment]
    return TranslationPair(tuple(source), tuple(target), tuple(alignment))


def make_translation_data(
    num_train: int = 20000,
    num_test_per_length: int = 25,
    min_len: int = 3,
    max_len: int = 20,
    length_decay: float = 0.85,
    seed: int = 0,
    max_clauses: int = MAX_CLAUSES,
) -> tuple[list[TranslationPair], list[TranslationPair]]:
    """Generate the training and held-out pairs of the made-up task.

    Training source lengths are drawn with probability proportional to
    ``length_decay ** (length - min_len)``, so short sentences are common
    and long ones rare. The held-out set has ``num_test_per_length`` pairs
    of every length from ``min_len`` to ``max_len`` (so its long inputs are
    longer than most training inputs), none of them a training source.
    ``max_clauses`` above 3 allows sources longer than 26 tokens (up to
    ``max_source_len(max_clauses)``); the default gives the same pairs as ever.

    Returns:
        (train_pairs, test_pairs), the same lists for the same arguments.

    Raises:
        ValueError: the lengths or counts are out of range.
    """
    longest = max_source_len(max_clauses) if isinstance(max_clauses, int) else 0
    if not 3 <= min_len <= max_len <= longest:
        raise ValueError(
            f"need 3 <= min_len <= max_len <= {longest} (with max_clauses={max_clauses}), "
            f"got {min_len}, {max_len}"
        )
    if num_train < 1 or num_test_per_length < 1:
        raise ValueError("num_train and num_test_per_length must be positive")
    if not 0 < length_decay <= 1:
        raise ValueError(f"length_decay must be in (0, 1], got {length_decay}")
    rng = random.Random(seed)
    lengths = list(range(min_len, max_len + 1))
    weights = [length_decay ** (n - min_len) for n in lengths]
    train = [
        make_pair(rng, n, max_clauses) for n in rng.choices(lengths, weights=weights, k=num_train)
    ]
    seen = {pair.source for pair in train}
    test: list[TranslationPair] = []
    for n in lengths:
        found, tries = 0, 0
        while found < num_test_per_length:
            pair = make_pair(rng, n, max_clauses)
            tries += 1
            if pair.source not in seen:
                seen.add(pair.source)
                test.append(pair)
                found += 1
            elif tries > 1000 * num_test_per_length:
                raise ValueError(f"cannot find {num_test_per_length} new sentences of length {n}")
    return train, test


class Vocab:
    """A vocabulary: token <-> index, with ``<pad>``=0, ``<bos>``, ``<eos>``, ``<unk>``.

    Tokens seen at least ``min_freq`` times get an index, most frequent
    first (ties in alphabetical order, so the same text always gives the
    same vocabulary); any other token maps to ``<unk>``.
    """

    def __init__(self, sentences: Iterable[Sequence[str]], min_freq: int = 1) -> None:
        if min_freq < 1:
            raise ValueError(f"min_freq must be at least 1, got {min_freq}")
        counts = Counter(token for sentence in sentences for token in sentence)
        kept = sorted(
            (t for t, n in counts.items() if n >= min_freq and t not in SPECIAL_TOKENS),
            key=lambda t: (-counts[t], t),
        )
        self.idx_to_token: list[str] = [*SPECIAL_TOKENS, *kept]
        self.token_to_idx: dict[str, int] = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens: str | Sequence[str]) -> int | list[int]:
        """Index of a token, or a list of indices for a list of tokens."""
        if isinstance(tokens, str):
            return self.token_to_idx.get(tokens, self.unk)
        return [self[token] for token in tokens]

    def to_tokens(self, indices: int | Sequence[int] | torch.Tensor) -> str | list[str]:
        """Token of an index, or a list of tokens for a sequence of indices."""
        if isinstance(indices, torch.Tensor):
            indices = indices.tolist()
        if isinstance(indices, int):
            return self.idx_to_token[indices]
        return [self.idx_to_token[int(i)] for i in indices]

    @property
    def pad(self) -> int:
        return self.token_to_idx[PAD]

    @property
    def bos(self) -> int:
        return self.token_to_idx[BOS]

    @property
    def eos(self) -> int:
        return self.token_to_idx[EOS]

    @property
    def unk(self) -> int:
        return self.token_to_idx[UNK]


@dataclass
class Batch:
    """A batch of encoded sentence pairs, right-padded with ``<pad>``.

    Attributes:
        source: (batch, source_steps) source indices, each ending with ``<eos>``.
        source_valid_lens: (batch,) the number of real source tokens.
        decoder_input: (batch, target_steps): ``<bos>`` then the target.
        labels: (batch, target_steps): the target then ``<eos>``.
        target_valid_lens: (batch,) the number of real label tokens.
        alignments: (batch, target_steps) gold source position of each
            label, -1 where there is none (particles, ``<eos>``, padding);
            None when not known.
    """

    source: torch.Tensor
    source_valid_lens: torch.Tensor
    decoder_input: torch.Tensor
    labels: torch.Tensor
    target_valid_lens: torch.Tensor
    alignments: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.source.shape[0]

    def to(self, device: torch.device | str) -> Batch:
        """The same batch on ``device``."""
        moved = {
            name: None if value is None else value.to(device) for name, value in vars(self).items()
        }
        return Batch(**moved)


def pad_or_truncate(indices: Sequence[int], num_steps: int, pad: int) -> list[int]:
    """Cut ``indices`` to ``num_steps``, or right-pad it with ``pad`` up to ``num_steps``."""
    if len(indices) >= num_steps:
        return list(indices[:num_steps])
    return list(indices) + [pad] * (num_steps - len(indices))


def encode_batch(
    sources: Sequence[Sequence[str]],
    targets: Sequence[Sequence[str]],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    num_steps: int | None = None,
    alignments: Sequence[Sequence[int | None]] | None = None,
) -> Batch:
    """Encode token lists as one padded batch.

    ``<eos>`` is appended to every source and target, and ``<bos>`` put in
    front of the decoder input. With ``num_steps`` every row is truncated
    or padded to ``num_steps`` (as the d2l book does); without it, to the
    longest sequence in the batch.

    Returns:
        A :class:`Batch`; its ``alignments`` are None unless given.

    Raises:
        ValueError: ``sources`` and ``targets`` (and ``alignments``) differ
            in number, there is no sentence, or ``num_steps`` < 1.
    """
    if len(sources) != len(targets) or (alignments is not None and len(alignments) != len(targets)):
        raise ValueError(
            f"need as many sources as targets (and alignments), got {len(sources)} and "
            f"{len(targets)}" + ("" if alignments is None else f" and {len(alignments)}")
        )
    if not sources:
        raise ValueError("cannot encode an empty batch")
    if num_steps is not None and num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    src_rows = [[*src_vocab[list(s)], src_vocab.eos] for s in sources]
    label_rows = [[*tgt_vocab[list(t)], tgt_vocab.eos] for t in targets]
    src_steps = num_steps or max(map(len, src_rows))
    tgt_steps = num_steps or max(map(len, label_rows))
    source = torch.tensor([pad_or_truncate(r, src_steps, src_vocab.pad) for r in src_rows])
    labels = torch.tensor([pad_or_truncate(r, tgt_steps, tgt_vocab.pad) for r in label_rows])
    decoder_input = torch.tensor(
        [pad_or_truncate([tgt_vocab.bos, *r[:-1]], tgt_steps, tgt_vocab.pad) for r in label_rows]
    )
    gold = None
    if alignments is not None:
        gold = torch.tensor(
            [
                pad_or_truncate([-1 if a is None else a for a in row], tgt_steps, -1)
                for row in alignments
            ]
        )
    return Batch(
        source=source,  # (batch, src_steps)
        source_valid_lens=torch.tensor([min(len(r), src_steps) for r in src_rows]),
        decoder_input=decoder_input,  # (batch, tgt_steps)
        labels=labels,  # (batch, tgt_steps)
        target_valid_lens=torch.tensor([min(len(r), tgt_steps) for r in label_rows]),
        alignments=gold,  # (batch, tgt_steps) or None
    )


def batch_by_length(
    sources: Sequence[Sequence[str]],
    targets: Sequence[Sequence[str]],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    batch_size: int,
    alignments: Sequence[Sequence[int | None]] | None = None,
) -> list[Batch]:
    """Encode sentence pairs once, as batches of sentences of similar length.

    Pairs are sorted by source length (stably, so the order is fixed) and cut
    into batches of ``batch_size``, each padded only to its own longest
    sentence: little padding, so little wasted computation. Works for any
    token lists: the made-up task's pairs or a ``fra.txt`` file's.

    Raises:
        ValueError: there is no pair, the lists differ in length, or ``batch_size`` < 1.
    """
    if not sources:
        raise ValueError("no pairs to batch")
    if len(sources) != len(targets) or (alignments is not None and len(alignments) != len(sources)):
        raise ValueError("need as many sources as targets (and alignments)")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    batches = []
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batches.append(
            encode_batch(
                [sources[i] for i in chunk],
                [targets[i] for i in chunk],
                src_vocab,
                tgt_vocab,
                alignments=None if alignments is None else [alignments[i] for i in chunk],
            )
        )
    return batches


def make_batches(
    pairs: Sequence[TranslationPair], src_vocab: Vocab, tgt_vocab: Vocab, batch_size: int
) -> list[Batch]:
    """The made-up pairs as batches of similar length, with their gold alignments
    (see :func:`batch_by_length`)."""
    return batch_by_length(
        [p.source for p in pairs],
        [p.target for p in pairs],
        src_vocab,
        tgt_vocab,
        batch_size,
        alignments=[p.alignment for p in pairs],
    )


def preprocess_text(text: str) -> str:
    """Lower-case, turn non-breaking spaces into spaces, and put a space before , . ! ?

    >>> preprocess_text("Go.\u202fNow!")
    'go . now !'
    """
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    out = []
    for i, char in enumerate(text):
        if char in ",.!?" and i > 0 and text[i - 1] != " ":
            out.append(" ")
        out.append(char)
    return "".join(out)


def read_tab_separated_pairs(
    path: str | Path, max_examples: int | None = None
) -> tuple[list[list[str]], list[list[str]]]:
    """Read a ``fra.txt``-style file: English, a tab, French, optionally a tab and more.

    Each line is preprocessed (:func:`preprocess_text`) and split on
    spaces. Blank lines are skipped. The file is read from ``path`` only;
    nothing is downloaded.

    Args:
        path: the file (UTF-8), e.g. ``fra.txt`` from the Tatoeba project.
        max_examples: stop after this many pairs (None: read all).

    Returns:
        (source_sentences, target_sentences): lists of token lists.

    Raises:
        FileNotFoundError: there is no file at ``path``.
        ValueError: a line has no tab, more than three fields, or an empty
            English or French field; the message names the line number.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no file at {path}: give the path of a tab-separated English-French file "
            "(for example fra.txt from the Tatoeba project); nothing is downloaded"
        )
    sources: list[list[str]] = []
    targets: list[list[str]] = []
    with path.open(encoding="utf-8") as file:
        for line_number, line in enumerate(file, start=1):
            if max_examples is not None and len(sources) >= max_examples:
                break
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if not 2 <= len(fields) <= 3 or not fields[0].strip() or not fields[1].strip():
                raise ValueError(
                    f"{path}, line {line_number}: expected 'English<TAB>French' with an "
                    f"optional '<TAB>attribution', got {line[:60]!r}"
                )
            sources.append(preprocess_text(fields[0]).split())
            targets.append(preprocess_text(fields[1]).split())
    return sources, targets


def load_fra(
    path: str | Path,
    num_steps: int = 9,
    min_freq: int = 2,
    max_examples: int | None = None,
) -> tuple[Batch, Vocab, Vocab]:
    """Load an English-French file as one batch padded or truncated to ``num_steps``.

    Args:
        path: the tab-separated file (see :func:`read_tab_separated_pairs`).
        num_steps: the length of every row (source, decoder input, labels).
        min_freq: tokens seen fewer times become ``<unk>``.
        max_examples: read at most this many pairs.

    Returns:
        (batch, src_vocab, tgt_vocab); ``batch.source`` is (pairs, num_steps).

    Raises:
        FileNotFoundError, ValueError: as :func:`read_tab_separated_pairs`;
        ValueError also if the file holds no pair.
    """
    sources, targets = read_tab_separated_pairs(path, max_examples)
    if not sources:
        raise ValueError(f"{path} holds no sentence pair")
    src_vocab = Vocab(sources, min_freq=min_freq)
    tgt_vocab = Vocab(targets, min_freq=min_freq)
    return encode_batch(sources, targets, src_vocab, tgt_vocab, num_steps), src_vocab, tgt_vocab


@dataclass
class TextData:
    """A tab-separated corpus, split and batched for training.

    Attributes:
        train_batches: batches of similar length (see :func:`batch_by_length`).
        test_sources, test_targets: the held-out pairs, as token lists.
        src_vocab, tgt_vocab: built from the training pairs only.
    """

    train_batches: list[Batch]
    test_sources: list[list[str]]
    test_targets: list[list[str]]
    src_vocab: Vocab
    tgt_vocab: Vocab


def load_fra_batches(
    path: str | Path,
    batch_size: int = 128,
    min_freq: int = 2,
    max_examples: int | None = None,
    max_tokens: int | None = None,
    num_test: int = 0,
    seed: int = 0,
) -> TextData:
    """Read a ``fra.txt``-style file (English, a tab, French) into training batches.

    The pairs (at most ``max_examples``; with ``max_tokens``, only those whose
    two sides have at most that many tokens) are shuffled with ``seed``, the
    last ``num_test`` held out, the vocabularies built from the rest (tokens
    seen fewer than ``min_freq`` times become ``<unk>``), and the rest cut into
    batches of similar length. The file is read from ``path``; nothing is downloaded.

    Raises:
        FileNotFoundError, ValueError: as :func:`read_tab_separated_pairs`;
        ValueError also if no pair is left for training.
    """
    sources, targets = read_tab_separated_pairs(path, max_examples)
    pairs = [
        (s, t) for s, t in zip(sources, targets, strict=True)
        if max_tokens is None or max(len(s), len(t)) <= max_tokens
    ]  # fmt: skip
    random.Random(seed).shuffle(pairs)
    if not 0 <= num_test < len(pairs):
        raise ValueError(
            f"{path}: {len(pairs)} usable pairs, cannot hold out {num_test} and train on the rest"
        )
    train, test = pairs[: len(pairs) - num_test], pairs[len(pairs) - num_test :]
    src_vocab = Vocab((s for s, _ in train), min_freq=min_freq)
    tgt_vocab = Vocab((t for _, t in train), min_freq=min_freq)
    batches = batch_by_length(
        [s for s, _ in train], [t for _, t in train], src_vocab, tgt_vocab, batch_size
    )
    return TextData(batches, [s for s, _ in test], [t for _, t in test], src_vocab, tgt_vocab)
