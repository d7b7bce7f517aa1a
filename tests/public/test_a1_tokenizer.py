"""Public checks of assignment 1: the character tokenizer and byte-level BPE."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from grader.testing import assert_equal, assert_raises, assert_true

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

# minbpe's worked example: one pre-token (no spaces), so every pair is counted.
MINBPE_TEXT = "aaabdaaabac"
MINBPE_MERGES = [(97, 97), (256, 97), (257, 98)]

# A short text with repeated words, so BPE has something to merge.
VERSE = "the cat sat on the mat, the cat ate the rat. " * 4


# Characters from several scripts and byte lengths: ASCII, Latin-1, a combining
# accent, Greek, CJK, an emoji (4 UTF-8 bytes), and whitespace of every kind.
ALPHABET = "abc XYZ019,.!'\t\n\r\u00e9\u00df\u0301\u03b1\u03a9\u4e2d\u6587\U0001F600\u00a0\u2028"


def random_texts(count: int, seed: int) -> list[str]:
    """``count`` texts of up to 30 characters from ALPHABET, the same ones on every run."""
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30))) for _ in range(count)]


def brute_force_pair_counts(ids):
    return dict(Counter(zip(ids, ids[1:])))


# ---------------------------------------------------------------- Task 1.1


@pytest.mark.task1_1
def test_char_tokenizer_on_hello(impl):
    """Does CharTokenizer.from_text("hello") have the sorted vocabulary 'ehlo' and encode/decode by it?"""
    tokenizer = impl.a1.CharTokenizer.from_text("hello")
    assert_equal(tokenizer.chars, "ehlo", what='CharTokenizer.from_text("hello").chars', hint="sort the distinct characters: sorted(set(text))")
    assert_equal(tokenizer.vocab_size, 4, what='CharTokenizer.from_text("hello").vocab_size')
    assert_equal(tokenizer.encode("hole"), [1, 3, 2, 0], what='encode("hole")', hint="the id of a character is its position in chars")
    assert_equal(tokenizer.decode([1, 0, 2, 2, 3]), "hello", what="decode([1, 0, 2, 2, 3])")


@pytest.mark.task1_1
def test_char_tokenizer_round_trips_any_text(impl):
    """Does decode(encode(text)) give text back for Unicode texts of many scripts?"""
    for text in ["To be, or not to be", *random_texts(30, seed=1)]:
        tokenizer = impl.a1.CharTokenizer.from_text(text)
        ids = tokenizer.encode(text)
        assert_true(all(0 <= token_id < tokenizer.vocab_size for token_id in ids), f"encode({text!r}) gave ids outside 0..vocab_size-1: {ids}")
        assert_equal(tokenizer.decode(ids), text, what=f"decode(encode({text!r}))")


@pytest.mark.task1_1
def test_char_tokenizer_refuses_unknown_characters_and_ids(impl):
    """Do an unknown character and an id outside the vocabulary raise ValueError naming them?"""
    tokenizer = impl.a1.CharTokenizer.from_text("abc")
    with assert_raises(ValueError, what='encode("abd") with vocabulary "abc"', mentions=["'d'"]):
        tokenizer.encode("abd")
    with assert_raises(ValueError, what="decode([3]) with 3 ids", mentions=["3"], hint="a negative id would index from the end: check 0 <= id < vocab_size"):
        tokenizer.decode([3])
    with assert_raises(ValueError, what="decode([-1])", mentions=["-1"], hint="a negative id would index from the end: check 0 <= id < vocab_size"):
        tokenizer.decode([-1])


# ---------------------------------------------------------------- Task 1.2


@pytest.mark.task1_2
@pytest.mark.parametrize(
    "ids, expected",
    [([1, 2, 3, 1, 2], {(1, 2): 2, (2, 3): 1, (3, 1): 1}), ([5, 5, 5], {(5, 5): 2}), ([7], {}), ([], {})],
)
def test_pair_counts_of_the_docstring_examples(impl, ids, expected):
    """Does get_pair_counts count overlapping adjacent pairs, and nothing for fewer than two ids?"""
    assert_equal(
        impl.a1.get_pair_counts(ids), expected, what=f"get_pair_counts({ids})",
        hint="a list of length L has L - 1 overlapping pairs: zip(ids, ids[1:])",
    )


@pytest.mark.task1_2
def test_pair_counts_match_a_brute_force_count(impl):
    """Does get_pair_counts agree with Counter(zip(ids, ids[1:])) on random short lists full of repeats?"""
    rng = random.Random(2)
    for _ in range(30):
        ids = [rng.randint(0, 4) for _ in range(rng.randint(0, 30))]
        assert_equal(impl.a1.get_pair_counts(ids), brute_force_pair_counts(ids), what=f"get_pair_counts({ids})")


# ---------------------------------------------------------------- Task 1.3


@pytest.mark.task1_3
@pytest.mark.parametrize(
    "ids, pair, new_id, expected",
    [
        ([1, 2, 3, 1, 2], (1, 2), 4, [4, 3, 4]),
        ([5, 5, 5], (5, 5), 6, [6, 5]),
        ([5, 5, 5, 5], (5, 5), 6, [6, 6]),
        ([1, 2, 3], (3, 1), 9, [1, 2, 3]),
        ([2, 1], (1, 2), 9, [2, 1]),
    ],
)
def test_merge_pair_examples(impl, ids, pair, new_id, expected):
    """Does merge_pair replace every occurrence left to right, without overlaps, and nothing else?"""
    assert_equal(
        impl.a1.merge_pair(ids, pair, new_id), expected, what=f"merge_pair({ids}, {pair}, {new_id})",
        hint="after a merge, skip both ids (i += 2) so occurrences never overlap",
    )


@pytest.mark.task1_3
def test_merge_pair_leaves_its_input_alone(impl):
    """Does merge_pair return a new list and leave ids unchanged?"""
    ids = [1, 2, 1, 2]
    impl.a1.merge_pair(ids, (1, 2), 3)
    assert_equal(ids, [1, 2, 1, 2], what="ids after merge_pair(ids, (1, 2), 3)", hint="build a new list instead of editing ids")


# ---------------------------------------------------------------- Task 1.4


@pytest.mark.task1_4
def test_count_pretokens_of_the_docstring_examples(impl):
    """Are 'hi', ' hi', ' hi' counted as two distinct byte tuples, and special tokens dropped?"""
    assert_equal(
        dict(impl.a1.count_pretokens("hi hi hi")), {(32, 104, 105): 2, (104, 105): 1},
        what='count_pretokens("hi hi hi")', hint="pre-tokenize with pretokenize(), then key each pre-token by tuple(pretoken.encode('utf-8'))",
    )
    assert_equal(
        dict(impl.a1.count_pretokens("a<|eos|>a", ["<|eos|>"])), {(97,): 2},
        what='count_pretokens("a<|eos|>a", ["<|eos|>"])', hint="cut the text with split_on_special_tokens and drop the special tokens themselves",
    )


@pytest.mark.task1_4
def test_count_pretokens_keys_are_utf8_bytes(impl):
    """Is a non-ASCII character counted as its UTF-8 bytes ('é' is 195, 169)?"""
    assert_equal(dict(impl.a1.count_pretokens("é")), {(195, 169): 1}, what='count_pretokens("é")', hint="encode each pre-token with .encode('utf-8')")


@pytest.mark.task1_4
def test_count_pretokens_cover_every_byte_of_the_text(impl):
    """Do the counted pre-tokens, weighted by count, hold exactly the bytes of the text?"""
    counts = impl.a1.count_pretokens(VERSE)
    total = sum(len(pretoken) * count for pretoken, count in counts.items())
    assert_equal(total, len(VERSE.encode("utf-8")), what="total bytes over all counted pre-tokens")


# ---------------------------------------------------------------- Task 1.5


def byte_vocab():
    return {byte: bytes([byte]) for byte in range(256)}


@pytest.mark.task1_5
def test_pair_index_on_the_docstring_example(impl):
    """Does PairIndex count weighted pairs, pick (2, 3), and merge it in every word?"""
    vocab = byte_vocab()
    index = impl.a1.PairIndex(Counter({(1, 2, 3): 2, (2, 3): 1}), vocab)
    assert_equal(dict(index.pair_counts), {(1, 2): 2, (2, 3): 3}, what="pair_counts", hint="weight each word's pairs by how often the word occurs")
    assert_equal(index.best_pair(), (2, 3), what="best_pair()")
    vocab[256] = vocab[2] + vocab[3]
    index.merge((2, 3), 256)
    assert_equal([list(word) for word in index.words], [[1, 256], [256]], what="words after merge((2, 3), 256)")
    assert_equal(dict(index.pair_counts), {(1, 256): 2}, what="pair_counts after merge((2, 3), 256)", hint="remove pairs whose count drops to 0")


@pytest.mark.task1_5
def test_pair_index_breaks_ties_by_bytes(impl):
    """Among equally frequent pairs, does best_pair pick the greater pair of byte strings?"""
    # (b"c", b"d") > (b"a", b"b"): both occur once.
    index = impl.a1.PairIndex(Counter({(97, 98): 1, (99, 100): 1}), byte_vocab())
    assert_equal(index.best_pair(), (99, 100), what="best_pair() of words 'ab' and 'cd'", hint="ties go to the greater (vocab[a], vocab[b])")
    assert_equal(index.best_pair(), (97, 98), what="the second best_pair()")
    assert_equal(index.best_pair(), None, what="best_pair() once no pair is left")


@pytest.mark.task1_5
def test_pair_index_counts_stay_right_through_merges(impl):
    """After several merges, are pair_counts the brute-force counts of the merged words?"""
    vocab = byte_vocab()
    words = Counter({(7, 1, 2, 1, 2, 9): 3, (1, 2, 1): 2, (2, 1, 2): 1, (1, 1, 1, 1): 1})
    index = impl.a1.PairIndex(words, vocab)
    for new_id in range(256, 260):
        best = index.best_pair()
        if best is None:
            break
        left, right = best
        vocab[new_id] = vocab[left] + vocab[right]
        index.merge(best, new_id)
        expected = Counter()
        for word, count in zip(index.words, index.word_counts):
            for neighbours, occurrences in brute_force_pair_counts(list(word)).items():
                expected[neighbours] += occurrences * count
        assert_equal(
            dict(index.pair_counts), dict(expected), what=f"pair_counts after merging {best} into {new_id}",
            hint="in 'a b a b' -> 'N N' the pair (b, a) is lost once and (N, N) gained once",
        )


# ---------------------------------------------------------------- Task 1.6


@pytest.mark.task1_6
def test_train_bpe_on_minbpes_example(impl):
    """Does train_bpe("aaabdaaabac", 259) learn minbpe's merges, ties going to the greater byte pair?"""
    tokenizer = impl.a1.train_bpe(MINBPE_TEXT, 259)
    assert_equal(
        [tuple(merge) for merge in tokenizer.merges], MINBPE_MERGES, what='train_bpe("aaabdaaabac", 259).merges',
        hint="(97, 97) occurs 4 times (overlapping); then (256, 97) and (97, 98) tie and (b'aa', b'a') > (b'a', b'b')",
    )


@pytest.mark.task1_6
def test_train_bpe_stops_when_nothing_is_left_to_merge(impl):
    """Does training stop early, with fewer ids than asked, once every pre-token is one token?"""
    tokenizer = impl.a1.train_bpe("ab", 1000)
    assert_equal([tuple(merge) for merge in tokenizer.merges], [(97, 98)], what='train_bpe("ab", 1000).merges')
    assert_equal(tokenizer.vocab_size, 257, what='train_bpe("ab", 1000).vocab_size')


@pytest.mark.task1_6
def test_train_bpe_never_merges_across_pre_tokens(impl):
    """Does every learned token lie inside one pre-token (no 'cat sat' or 't,' tokens)?"""
    tokenizer = impl.a1.train_bpe(VERSE, 300)
    for token_id in range(256, 256 + len(tokenizer.merges)):
        text = tokenizer.vocab[token_id].decode("utf-8")
        assert_equal(
            impl.a1.pretokenize(text), [text], what=f"pre-tokens of learned token {token_id} {text!r}",
            hint="count pairs inside each pre-token (count_pretokens), never across them",
        )


@pytest.mark.task1_6
def test_train_bpe_gives_special_tokens_the_last_ids(impl):
    """Do special tokens take the ids after the merges, and is a too small vocab_size a ValueError?"""
    tokenizer = impl.a1.train_bpe(MINBPE_TEXT + "<|eos|>", 260, special_tokens=["<|eos|>"])
    assert_equal([tuple(merge) for merge in tokenizer.merges], MINBPE_MERGES, what="merges with special token <|eos|>", hint="special tokens are cut out before counting")
    assert_equal(tokenizer.special_token_ids, {"<|eos|>": 259}, what="special_token_ids")
    with assert_raises(ValueError, what="train_bpe(text, 255)", mentions=["255"]):
        impl.a1.train_bpe(MINBPE_TEXT, 255)


# ---------------------------------------------------------------- Task 1.7


@pytest.mark.task1_7
def test_bpe_tokenizer_on_the_docstring_example(impl):
    """Does BPETokenizer build the vocab from its merges, encode with them and keep <|eos|> whole?"""
    tokenizer = impl.a1.BPETokenizer(MINBPE_MERGES, ["<|eos|>"])
    assert_equal(tokenizer.vocab[258], b"aaab", what="vocab[258]", hint="vocab[256 + i] = vocab[a] + vocab[b] for merge i = (a, b)")
    assert_equal(tokenizer.vocab_size, 260, what="vocab_size")
    assert_equal(tokenizer.encode("aaabdaaabac<|eos|>"), [258, 100, 258, 97, 99, 259], what='encode("aaabdaaabac<|eos|>")')
    assert_equal(tokenizer.decode([258, 33]), "aaab!", what="decode([258, 33])")


@pytest.mark.task1_7
def test_bpe_applies_merges_by_rank(impl):
    """Is b"aaaab" encoded by rank order (aa, aa, b), not greedily longest-first?"""
    tokenizer = impl.a1.BPETokenizer(MINBPE_MERGES)
    assert_equal(tokenizer.encode("aaaab"), [256, 256, 98], what='encode("aaaab")', hint="merge the lowest-ranked pair present, repeatedly")
    assert_equal(impl.a1.BPETokenizer([(104, 105)]).encode("hi hi"), [256, 32, 256], what='encode("hi hi") with merges [(104, 105)]')


@pytest.mark.task1_7
def test_bpe_round_trips_any_text(impl):
    """Does decode(encode(text)) give back Unicode text of many scripts, special tokens included?"""
    # Merges that join ASCII letters, a space to a letter, and the bytes of multi-byte characters.
    merges = MINBPE_MERGES + [(32, 116), (104, 101), (195, 169), (240, 159), (262, 152)]
    tokenizer = impl.a1.BPETokenizer(merges, ["<|eos|>"])
    for text in ["the cat ate the aaab<|eos|>", "", *random_texts(30, seed=4)]:
        assert_equal(tokenizer.decode(tokenizer.encode(text)), text, what=f"decode(encode({text!r}))")


@pytest.mark.task1_7
def test_bpe_decode_replaces_broken_utf8_and_refuses_unknown_ids(impl):
    """Is half a UTF-8 character decoded to U+FFFD, and an unknown id a ValueError naming it?"""
    tokenizer = impl.a1.BPETokenizer(MINBPE_MERGES)
    assert_equal(tokenizer.decode([0xE2]), "\ufffd", what="decode([0xE2])", hint="bytes.decode('utf-8', errors='replace')")
    with assert_raises(ValueError, what="decode([259]) with 259 ids", mentions=["259"]):
        tokenizer.decode([259])
