"""data: the made-up translation task, Vocab, batches, and the fra.txt loader."""

from __future__ import annotations

import random

import pytest
import torch

from attn_course.support.data import (
    ADJECTIVES,
    ADVERBS,
    CONJUNCTION,
    NOUNS,
    OBJECT_PARTICLE,
    SUBJECT_PARTICLE,
    VERBS,
    TranslationPair,
    Vocab,
    batch_by_length,
    encode_batch,
    load_fra,
    load_fra_batches,
    make_batches,
    make_pair,
    make_translation_data,
    max_source_len,
    preprocess_text,
    read_tab_separated_pairs,
)

LEXICON = {**NOUNS, **ADJECTIVES, **VERBS, **ADVERBS, **CONJUNCTION}
PARTICLES = {SUBJECT_PARTICLE, OBJECT_PARTICLE}


@pytest.fixture(scope="module")
def small_data():
    return make_translation_data(num_train=2000, num_test_per_length=5, seed=3)


# --- the made-up task -------------------------------------------------------


@pytest.mark.parametrize(
    "seed, length, expected",
    [
        # Checked by hand against the grammar: nouns first, adjectives after
        # them, "ka" after the subject, "ru" after the object, verb last.
        (
            1,
            3,
            TranslationPair(
                ("mouse", "hears", "bird"),
                ("lemi", "ka", "sulo", "ru", "suntu"),
                (0, None, 2, None, 1),
            ),
        ),
        (
            2,
            6,
            TranslationPair(
                ("young", "mouse", "watches", "happy", "bear", "never"),
                ("lemi", "tep", "ka", "bunu", "gaz", "ru", "ulmi", "bemri"),
                (1, 0, None, 4, 3, None, 5, 2),
            ),
        ),
        (
            3,
            9,
            TranslationPair(
                ("goat", "watches", "owl", "again", "and", "bear", "hears", "goat", "today"),
                (
                    "zeti",
                    "ka",
                    "dafe",
                    "ru",
                    "ibro",
                    "bemri",
                    "en",
                    "bunu",
                    "ka",
                    "zeti",
                    "ru",
                    "edra",
                    "suntu",
                ),  # fmt: skip
                # the second "zeti" is the second "goat" (position 7), not the first
                (0, None, 2, None, 3, 1, 4, 5, None, 7, None, 8, 6),
            ),
        ),
    ],
)
def test_pairs_checked_by_hand(seed, length, expected):
    assert make_pair(random.Random(seed), length) == expected


def test_gold_alignments_point_at_the_translated_word(small_data):
    train, test = small_data
    for pair in train[:500] + test:
        assert len(pair.alignment) == len(pair.target)
        for word, position in zip(pair.target, pair.alignment, strict=True):
            if word in PARTICLES:
                assert position is None
            else:
                assert LEXICON[pair.source[position]] == word
        aligned = [a for a in pair.alignment if a is not None]
        # every source word is translated exactly once
        assert sorted(aligned) == list(range(len(pair.source)))


def test_word_order_differs(small_data):
    train, _ = small_data
    # Verb last: the alignment is never monotonic (the verb jumps over the object).
    for pair in train[:200]:
        positions = [a for a in pair.alignment if a is not None]
        assert positions != sorted(positions)
    pair = next(p for p in train if len(p.source) == 5 and "ru" in p.target)
    assert pair.target[-1] == VERBS[pair.source[pair.alignment[-1]]]


def test_generator_is_deterministic_and_lengths_are_as_documented(small_data):
    train, test = small_data
    again = make_translation_data(num_train=2000, num_test_per_length=5, seed=3)
    assert again == small_data
    assert make_translation_data(num_train=2000, num_test_per_length=5, seed=4) != small_data
    train_lengths = [len(p.source) for p in train]
    assert min(train_lengths) == 3 and max(train_lengths) <= 20
    test_lengths = [len(p.source) for p in test]
    assert sorted(set(test_lengths)) == list(range(3, 21))
    assert all(test_lengths.count(n) == 5 for n in range(3, 21))
    # Held-out: no test source occurs in training; long inputs are rare in training.
    assert not {p.source for p in test} & {p.source for p in train}
    assert sum(n >= 17 for n in train_lengths) < 0.1 * len(train)


@pytest.mark.parametrize("length", [2, 27, 3.0])
def test_make_pair_rejects_impossible_lengths(length):
    with pytest.raises(ValueError, match="length must be an int from 3 to 26"):
        make_pair(random.Random(0), length)


def test_make_translation_data_rejects_bad_arguments():
    with pytest.raises(ValueError, match="min_len"):
        make_translation_data(min_len=2)
    with pytest.raises(ValueError, match="length_decay"):
        make_translation_data(length_decay=0.0)


# --- Vocab and batches ------------------------------------------------------


def test_vocab_orders_by_frequency_and_maps_rare_tokens_to_unk():
    vocab = Vocab([["b", "a", "b"], ["c", "a", "b"]], min_freq=2)
    assert vocab.idx_to_token == ["<pad>", "<bos>", "<eos>", "<unk>", "b", "a"]
    assert (vocab.pad, vocab.bos, vocab.eos, vocab.unk) == (0, 1, 2, 3)
    assert vocab["b"] == 4 and vocab["c"] == vocab.unk and vocab["zzz"] == vocab.unk
    assert vocab[["a", "c"]] == [5, 3]
    assert vocab.to_tokens([4, 5, 0]) == ["b", "a", "<pad>"]
    assert vocab.to_tokens(torch.tensor([5])) == ["a"]
    assert len(vocab) == 6
    with pytest.raises(ValueError, match="min_freq"):
        Vocab([["a"]], min_freq=0)


def test_encode_batch_pads_to_the_longest_and_adds_bos_eos():
    src_vocab = Vocab([["a", "b", "c"]])
    tgt_vocab = Vocab([["x", "y"]])
    batch = encode_batch(
        [["a"], ["a", "b", "c"]], [["x", "y"], ["y"]], src_vocab, tgt_vocab,
        alignments=[[0, None], [2]],
    )  # fmt: skip
    a, b, c = src_vocab[["a", "b", "c"]]
    x, y = tgt_vocab[["x", "y"]]
    assert batch.source.tolist() == [[a, 2, 0, 0], [a, b, c, 2]]
    assert batch.source_valid_lens.tolist() == [2, 4]
    assert batch.decoder_input.tolist() == [[1, x, y], [1, y, 0]]
    assert batch.labels.tolist() == [[x, y, 2], [y, 2, 0]]
    assert batch.target_valid_lens.tolist() == [3, 2]
    assert batch.alignments.tolist() == [[0, -1, -1], [2, -1, -1]]
    assert len(batch) == 2


def test_encode_batch_truncates_to_num_steps():
    vocab = Vocab([["a", "b", "c", "d"]])
    batch = encode_batch([["a", "b", "c", "d"]], [["a"]], vocab, vocab, num_steps=3)
    assert batch.source.tolist() == [vocab[["a", "b", "c"]]]
    assert batch.source_valid_lens.tolist() == [3]
    assert batch.labels.tolist() == [[vocab["a"], vocab.eos, vocab.pad]]


def test_encode_batch_rejects_mismatched_lists():
    vocab = Vocab([["a"]])
    with pytest.raises(ValueError, match="as many sources as targets"):
        encode_batch([["a"]], [], vocab, vocab)
    with pytest.raises(ValueError, match="num_steps"):
        encode_batch([["a"]], [["a"]], vocab, vocab, num_steps=0)


def test_make_batches_groups_similar_lengths(small_data):
    train, _ = small_data
    src_vocab = Vocab(p.source for p in train)
    tgt_vocab = Vocab(p.target for p in train)
    batches = make_batches(train, src_vocab, tgt_vocab, batch_size=128)
    assert sum(len(b) for b in batches) == len(train)
    widths = [b.source.shape[1] for b in batches]
    assert widths == sorted(widths)
    padding = sum((b.source == src_vocab.pad).sum().item() for b in batches)
    assert padding < 0.1 * sum(b.source.numel() for b in batches)
    # Gold alignments survive encoding: the aligned source token translates the label.
    batch = batches[3]
    for row in range(len(batch)):
        for label, position in zip(batch.labels[row], batch.alignments[row], strict=True):
            if position >= 0:
                src_word = src_vocab.to_tokens(int(batch.source[row, position]))
                assert LEXICON[src_word] == tgt_vocab.to_tokens(int(label))


# --- the fra.txt loader -----------------------------------------------------

GOOD_SAMPLE = (
    "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #1158250 (Wittydev)\n"
    "Hi.\tSalut !\n"
    "Run!\tCours\u202f!\n"
    "\n"
    "Who are you, Tom?\tQui es-tu, Tom ?\n"
    "Go now.\tVa maintenant.\n"
)


def write(tmp_path, text):
    path = tmp_path / "fra.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_preprocess_text():
    assert preprocess_text("Hello, World!") == "hello , world !"
    assert preprocess_text("Va !") == "va !"
    assert preprocess_text("Cours\u202f!") == "cours !"
    assert preprocess_text("Bien.\xa0Oui?") == "bien . oui ?"


def test_reader_on_a_good_sample(tmp_path):
    sources, targets = read_tab_separated_pairs(write(tmp_path, GOOD_SAMPLE))
    assert sources == [
        ["go", "."], ["hi", "."], ["run", "!"], ["who", "are", "you", ",", "tom", "?"],
        ["go", "now", "."],
    ]  # fmt: skip
    assert targets[0] == ["va", "!"]  # the attribution is dropped
    assert targets[2] == ["cours", "!"]
    assert targets[3] == ["qui", "es-tu", ",", "tom", "?"]
    sources, _ = read_tab_separated_pairs(write(tmp_path, GOOD_SAMPLE), max_examples=2)
    assert len(sources) == 2


@pytest.mark.parametrize(
    "bad_line",
    ["no tab here", "a\tb\tc\td", "Hello.\t", "\tBonjour."],
    ids=["no tab", "four fields", "empty French", "empty English"],
)
def test_reader_names_the_malformed_line(tmp_path, bad_line):
    text = "Go.\tVa !\nHi.\tSalut !\n" + bad_line + "\nRun!\tCours !\n"
    with pytest.raises(ValueError, match=r"fra\.txt, line 3: expected 'English<TAB>French'"):
        read_tab_separated_pairs(write(tmp_path, text))


def test_reader_never_downloads_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        read_tab_separated_pairs(tmp_path / "missing.txt")


def test_load_fra_pads_truncates_and_builds_vocabularies(tmp_path):
    batch, src_vocab, tgt_vocab = load_fra(write(tmp_path, GOOD_SAMPLE), num_steps=4, min_freq=2)
    # min_freq=2: only tokens seen twice or more get their own index.
    assert src_vocab.idx_to_token == ["<pad>", "<bos>", "<eos>", "<unk>", ".", "go"]
    assert tgt_vocab.idx_to_token[4:] == ["!", "va"]
    assert batch.source.shape == batch.decoder_input.shape == batch.labels.shape == (5, 4)
    assert src_vocab.to_tokens(batch.source[0]) == ["go", ".", "<eos>", "<pad>"]
    # "who are you , tom ?" is cut to 4 tokens, so it loses its <eos>
    assert src_vocab.to_tokens(batch.source[3]) == ["<unk>", "<unk>", "<unk>", "<unk>"]
    assert batch.source_valid_lens.tolist() == [3, 3, 3, 4, 4]
    assert tgt_vocab.to_tokens(batch.decoder_input[0]) == ["<bos>", "va", "!", "<pad>"]
    assert tgt_vocab.to_tokens(batch.labels[0]) == ["va", "!", "<eos>", "<pad>"]
    assert batch.target_valid_lens.tolist() == [3, 3, 3, 4, 4]
    assert batch.alignments is None


def test_load_fra_rejects_an_empty_file(tmp_path):
    with pytest.raises(ValueError, match="holds no sentence pair"):
        load_fra(write(tmp_path, "\n\n"))


def test_load_fra_batches_splits_shuffles_and_batches_by_length(tmp_path):
    """A fra.txt-format sample written here: 60 pairs of 1 to 6 words, one with attribution."""
    rng = random.Random(0)
    words = ["go", "run", "see", "the", "cat", "dog", "now", "here"]
    lines = []
    for i in range(60):
        english = " ".join(rng.choice(words) for _ in range(1 + i % 6)) + "."
        french = " ".join(w.upper() for w in english[:-1].split()) + " !"
        lines.append(f"{english}\t{french}" + ("\tCC-BY 2.0 (France)" if i == 0 else ""))
    path = write(tmp_path, "\n".join(lines) + "\n")
    data = load_fra_batches(path, batch_size=16, min_freq=1, max_tokens=6, num_test=10, seed=1)
    pairs = list(zip(*read_tab_separated_pairs(path), strict=True))
    kept = [p for p in pairs if max(len(p[0]), len(p[1])) <= 6]
    assert len(data.test_sources) == len(data.test_targets) == 10
    assert sum(len(b) for b in data.train_batches) == len(kept) - 10
    widths = [b.source.shape[1] for b in data.train_batches]
    assert widths == sorted(widths) and all(len(b) <= 16 for b in data.train_batches)
    # Every held-out pair is a pair of the file; the vocabularies know the training tokens.
    assert all(pair in kept for pair in zip(data.test_sources, data.test_targets, strict=True))
    first = data.train_batches[0]
    row = data.src_vocab.to_tokens(first.source[0])[: int(first.source_valid_lens[0])]
    assert row[-1] == "<eos>" and "<unk>" not in row
    assert first.alignments is None
    # The same seed gives the same split; another seed another one.
    again = load_fra_batches(path, batch_size=16, min_freq=1, max_tokens=6, num_test=10, seed=1)
    other = load_fra_batches(path, batch_size=16, min_freq=1, max_tokens=6, num_test=10, seed=2)
    assert again.test_sources == data.test_sources != other.test_sources
    with pytest.raises(ValueError, match="cannot hold out"):
        load_fra_batches(path, max_tokens=6, num_test=len(kept))


def test_batch_by_length_matches_make_batches(small_data):
    train, _ = small_data
    src_vocab, tgt_vocab = Vocab(p.source for p in train), Vocab(p.target for p in train)
    plain = batch_by_length([p.source for p in train], [p.target for p in train],
                            src_vocab, tgt_vocab, batch_size=100)  # fmt: skip
    aligned = make_batches(train, src_vocab, tgt_vocab, batch_size=100)
    for a, b in zip(plain, aligned, strict=True):
        assert torch.equal(a.source, b.source) and torch.equal(a.labels, b.labels)
        assert a.alignments is None and b.alignments is not None
    with pytest.raises(ValueError, match="no pairs"):
        batch_by_length([], [], src_vocab, tgt_vocab, 4)


def test_more_clauses_give_longer_sources_and_leave_the_default_alone():
    default = make_translation_data(num_train=300, num_test_per_length=2, seed=4)
    explicit = make_translation_data(num_train=300, num_test_per_length=2, seed=4, max_clauses=3)
    assert default == explicit
    assert max_source_len() == 26 and max_source_len(5) == 44
    _, long_test = make_translation_data(
        num_train=1, num_test_per_length=4, min_len=21, max_len=40, max_clauses=5, seed=1
    )
    lengths = sorted({len(p.source) for p in long_test})
    assert lengths == list(range(21, 41))
    clauses = {p.source.count("and") + 1 for p in long_test}
    assert max(clauses) == 5 and min(clauses) >= 3
    for pair in long_test:  # the gold alignment still points at the translated word
        for word, j in zip(pair.target, pair.alignment, strict=True):
            assert (word in PARTICLES) == (j is None)
            if j is not None:
                assert LEXICON[pair.source[j]] == word
    with pytest.raises(ValueError, match="max_len <= 26"):
        make_translation_data(max_len=27)
