"""Hidden checks of assignment 1: the tokenizers against the reference on seeded random inputs.

The public suite checks the worked examples; this one compares the student's
code with the reference (``ref``) on seeded random texts and id lists full of
repeats and ties, and checks the contract's edges: the order of a given
vocabulary, the errors and what they name, stale heap entries, ties between
merged tokens, special tokens, and round trips on arbitrary Unicode.

Everything here is integers, bytes and strings, so every comparison is exact
(no tolerance applies). Inputs are described in messages by their size and
seed, not printed, and the reference's results never are.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from grader.testing import assert_equal, assert_raises, assert_true, fail
from tests.hidden.support import assert_same_as_reference

# Pure Python throughout; one torch thread keeps the shared fixtures cheap.
pytestmark = pytest.mark.usefixtures("single_thread")

# Hypothesis: the same examples on every run (derandomize), no example database
# written into the tree, and no deadline or "too slow" check (slow student code,
# or a busy grading host, is not a failure).
# The explain phase is left out: it re-runs a failing test with varied inputs
# to annotate the report, which costs most of a second on a stub that always
# fails. single_thread is the only function-scoped fixture and holds no state
# an example could leak to the next.
ROUND_TRIP_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[phase for phase in Phase if phase is not Phase.explain],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Characters of several scripts and UTF-8 lengths, upper and lower case,
# digits, punctuation and whitespace of every kind.
MIXED_ALPHABET = "abcXYZ019,.!?'_-\t\n\r \u00a0\u2028\u00e9\u00c9\u00df\u0301\u03b1\u03a9\u4e2d\u6587\U0001F600\U0001F44D"

# Word-like pieces for corpora that BPE can learn from: multi-byte characters,
# contractions and digits, so merges span every kind of pre-token.
SYLLABLES = ["th", "e", "an", "ing", "qu", "o", "\u00e9", "\u4e2d", "\u00df", "'s", "42", "7"]
PUNCTUATION = [",", ".", "!", "?!", "--", "_"]
SPACES = [" ", " ", " ", " ", "  ", "\n", "\n\n", "\t", " \u00a0", "   "]

SPECIAL_TOKENS = ("<|endoftext|>", "<|end|>", "<|fin|>\u00e9")

# Merges joining ASCII letters (256 = "ab", 257 = "abc"), a space to letters
# (258 = " t", 259 = "he", 260 = " the"), and the bytes of "é" (261), "中"
# (262, 263) and the first three of an emoji (264, 265).
MERGES_FOR_ROUND_TRIPS = [(97, 98), (256, 99), (32, 116), (104, 101), (258, 259), (195, 169), (228, 184), (262, 173), (240, 159), (264, 152)]


def random_text(seed: int, *, length: int, alphabet: str = MIXED_ALPHABET) -> str:
    """``length`` characters drawn from ``alphabet``, the same ones for the same seed."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


def random_corpus(seed: int, *, words: int, special_tokens: tuple[str, ...] = ()) -> str:
    """A text of ``words`` words drawn from a small lexicon (so words repeat), with
    punctuation, runs of whitespace and, where given, special tokens between and inside words."""
    rng = random.Random(seed)
    lexicon = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(25)]
    parts = []
    for _ in range(words):
        word = rng.choice(lexicon)
        if rng.random() < 0.15:
            word = word.capitalize()
        if rng.random() < 0.15:
            word += rng.choice(PUNCTUATION)
        if special_tokens and rng.random() < 0.1:
            cut = rng.randint(0, len(word))
            word = word[:cut] + rng.choice(special_tokens) + word[cut:]
        parts.append(word + rng.choice(SPACES))
    return "".join(parts)


def random_id_list(seed: int, *, length: int, choices: list[int]) -> list[int]:
    """``length`` ids drawn from ``choices``."""
    rng = random.Random(seed)
    return [rng.choice(choices) for _ in range(length)]


def byte_vocab() -> dict[int, bytes]:
    """The vocabulary before any merge: id i is the byte i."""
    return {byte: bytes([byte]) for byte in range(256)}


def random_words(seed: int, *, count: int, alphabet: tuple[int, ...], max_length: int) -> Counter:
    """Pre-token counts as ``count_pretokens`` gives them: ``count`` random words of ids with random counts."""
    rng = random.Random(seed)
    words: Counter = Counter()
    for _ in range(count):
        word = tuple(rng.choice(alphabet) for _ in range(rng.randint(1, max_length)))
        words[word] += rng.randint(1, 4)
    return words


def as_pairs(merges) -> list[tuple[int, int]]:
    """Merges as a list of tuples, whether given as tuples or lists."""
    return [tuple(merge) for merge in merges]


# ---------------------------------------------------------------- Task 1.1


@pytest.mark.task1_1
def test_char_tokenizer_matches_the_reference_on_random_texts(impl, ref):
    """Do from_text's vocabulary and encode agree with the reference on random texts of many scripts and cases?"""
    for seed in range(12):
        text = random_text(seed, length=5 + 6 * seed)
        tokenizer, expected = impl.a1.CharTokenizer.from_text(text), ref.a1.CharTokenizer.from_text(text)
        where = f"a random {len(text)}-character text (seed {seed})"
        assert_same_as_reference(
            tokenizer.chars, expected.chars, what=f"CharTokenizer.from_text(text).chars for {where}",
            hint="sort the distinct characters by code point: ''.join(sorted(set(text)))",
        )
        assert_same_as_reference(tokenizer.vocab_size, expected.vocab_size, what=f"vocab_size for {where}")
        assert_same_as_reference(tokenizer.encode(text), expected.encode(text), what=f"encode(text) for {where}")


@pytest.mark.task1_1
def test_char_tokenizer_keeps_the_order_it_is_given(impl, ref):
    """Does CharTokenizer(chars) give id i to the i-th character of chars, even when chars is not sorted?"""
    for seed in range(6):
        rng = random.Random(seed)
        chars = "".join(rng.sample(MIXED_ALPHABET, 12))
        text = random_text(seed + 100, length=20, alphabet=chars)
        tokenizer, expected = impl.a1.CharTokenizer(chars), ref.a1.CharTokenizer(chars)
        where = f"a shuffled 12-character vocabulary (seed {seed})"
        assert_equal(tokenizer.chars, chars, what=f"CharTokenizer(chars).chars for {where}", hint="keep chars as given: only from_text sorts")
        assert_same_as_reference(tokenizer.encode(text), expected.encode(text), what=f"encode(text) with {where}", hint="the id of a character is its position in chars as given")
        ids = expected.encode(text)
        assert_equal(tokenizer.decode(ids), text, what=f"decode of a 20-id list with {where}")


@pytest.mark.task1_1
def test_char_tokenizer_refuses_a_vocabulary_with_a_repeated_character(impl):
    """Does CharTokenizer raise ValueError naming the character when chars holds one twice?"""
    with assert_raises(ValueError, what='CharTokenizer("xyzxw")', mentions=["'x'"], hint="ids would be ambiguous: refuse a character seen before"):
        impl.a1.CharTokenizer("xyzxw")
    with assert_raises(ValueError, what='CharTokenizer("ab\u00e9\u00e9")', mentions=[repr("\u00e9")]):
        impl.a1.CharTokenizer("ab\u00e9\u00e9")


@pytest.mark.task1_1
def test_char_tokenizer_errors_name_the_position_and_the_id(impl):
    """Does encode's ValueError name the unknown character and its position, and decode's the bad id?"""
    tokenizer = impl.a1.CharTokenizer.from_text("abc")
    with assert_raises(ValueError, what='encode("abcabcaq") with vocabulary "abc"', mentions=["'q'", "7"], hint="name the character's repr and its position (7) in the message"):
        tokenizer.encode("abcabcaq")
    with assert_raises(ValueError, what='encode("\u4e2d") with vocabulary "abc"', mentions=[repr("\u4e2d"), "0"]):
        tokenizer.encode("\u4e2d")
    with assert_raises(ValueError, what="decode([0, 1, 5, 1]) with 3 ids", mentions=["5"]):
        tokenizer.decode([0, 1, 5, 1])
    with assert_raises(ValueError, what="decode([2, -3]) with 3 ids", mentions=["-3"], hint="a negative id would index from the end: check 0 <= id < vocab_size"):
        tokenizer.decode([2, -3])


@pytest.mark.task1_1
def test_char_tokenizer_decodes_any_iterable_and_empty_input(impl):
    """Does decode accept a tuple and a one-pass generator, and do empty text and ids give empty results?"""
    tokenizer = impl.a1.CharTokenizer.from_text("hello")
    assert_equal(tokenizer.decode((1, 0, 2, 2, 3)), "hello", what="decode((1, 0, 2, 2, 3)) of a tuple")
    assert_equal(
        tokenizer.decode(token_id for token_id in [1, 0, 2, 2, 3]), "hello", what="decode of a generator of [1, 0, 2, 2, 3]",
        hint="ids is any iterable and may be read only once: check and look up each id in the same pass",
    )
    empty = impl.a1.CharTokenizer.from_text("")
    assert_equal(empty.vocab_size, 0, what='CharTokenizer.from_text("").vocab_size')
    assert_equal(empty.encode(""), [], what='encode("") with an empty vocabulary')
    assert_equal(empty.decode([]), "", what="decode([]) with an empty vocabulary")


@pytest.mark.task1_1
@ROUND_TRIP_SETTINGS
@given(context=st.text(max_size=30), text=st.text(max_size=30))
def test_char_tokenizer_round_trips_arbitrary_unicode(impl, context, text):
    """For any Unicode text, does a vocabulary built from more text encode it to valid ids that decode back?"""
    tokenizer = impl.a1.CharTokenizer.from_text(context + text)
    ids = tokenizer.encode(text)
    assert_true(
        all(isinstance(token_id, int) and 0 <= token_id < tokenizer.vocab_size for token_id in ids),
        f"encode(text) gave ids outside 0..{tokenizer.vocab_size - 1}: {ids}",
    )
    assert_equal(tokenizer.decode(ids), text, what="decode(encode(text))")


# ---------------------------------------------------------------- Task 1.2


@pytest.mark.task1_2
def test_pair_counts_match_the_reference_with_merged_ids(impl, ref):
    """Does get_pair_counts agree with the reference on random lists holding ids of merged tokens (256 and up)?"""
    # Ids as they are after merges: bytes and new ids, some equal modulo 256.
    choices = [0, 1, 97, 255, 256, 257, 353, 512, 513, 1000]
    for seed in range(20):
        ids = random_id_list(seed, length=seed * 3, choices=choices)
        assert_same_as_reference(
            dict(impl.a1.get_pair_counts(ids)), dict(ref.a1.get_pair_counts(ids)), what=f"get_pair_counts(ids) of {len(ids)} random ids up to 1000 (seed {seed})",
            hint="key each pair by the tuple (ids[i], ids[i + 1]) itself: ids go beyond 255 once tokens are merged",
        )


@pytest.mark.task1_2
def test_pair_counts_of_runs_tuples_and_ranges(impl, ref):
    """Does get_pair_counts count long runs of one id, and accept a tuple and a range as the sequence?"""
    cases = {
        "a run of 40 copies of 7": [7] * 40,
        "a tuple alternating 3 and 300": tuple([3, 300] * 9),
        "range(20)": range(20),
        "a single id": [12],
    }
    for description, ids in cases.items():
        counts = impl.a1.get_pair_counts(ids)
        assert_true(isinstance(counts, dict), f"get_pair_counts of {description}: expected a dict, got {type(counts).__name__}")
        assert_same_as_reference(dict(counts), dict(ref.a1.get_pair_counts(ids)), what=f"get_pair_counts of {description}", hint="a sequence of length L has L - 1 overlapping pairs")


@pytest.mark.task1_2
def test_pair_counts_leave_their_input_alone(impl):
    """Does get_pair_counts leave the list it counts unchanged?"""
    ids = random_id_list(5, length=30, choices=[1, 2, 3, 260])
    original = list(ids)
    impl.a1.get_pair_counts(ids)
    assert_equal(ids, original, what="ids after get_pair_counts(ids)", hint="count without removing or replacing items of ids")


# ---------------------------------------------------------------- Task 1.3


@pytest.mark.task1_3
def test_merge_pair_matches_the_reference_on_random_lists(impl, ref):
    """Does merge_pair agree with the reference on random lists with multi-digit ids and many occurrences?"""
    # Multi-digit ids whose digits overlap (1, 11, 12, 21, 112): merging (1, 12) must not touch 11 or 112.
    choices = [1, 2, 11, 12, 21, 112, 121]
    for seed in range(30):
        rng = random.Random(seed)
        ids = random_id_list(seed, length=rng.randint(0, 25), choices=choices)
        # Mostly a pair that occurs, sometimes one that may not.
        if len(ids) >= 2 and rng.random() < 0.8:
            start = rng.randrange(len(ids) - 1)
            pair = (ids[start], ids[start + 1])
        else:
            pair = (rng.choice(choices), rng.choice(choices))
        new_id = rng.choice([3, 256, 1121])
        assert_same_as_reference(
            impl.a1.merge_pair(ids, pair, new_id), ref.a1.merge_pair(ids, pair, new_id),
            what=f"merge_pair(ids, pair, {new_id}) on {len(ids)} random ids (seed {seed})",
            hint="compare ids as numbers, one position at a time, left to right; after a merge skip both ids",
        )


@pytest.mark.task1_3
def test_merge_pair_on_runs_of_one_id_and_alternations(impl, ref):
    """On runs of one id (odd and even lengths) and alternations, does merge_pair pair up from the left?"""
    for length in range(0, 10):
        ids = [5] * length
        assert_same_as_reference(
            impl.a1.merge_pair(ids, (5, 5), 6), ref.a1.merge_pair(ids, (5, 5), 6), what=f"merge_pair([5] * {length}, (5, 5), 6)",
            hint="left to right, without overlaps: [5, 5, 5] -> [6, 5]",
        )
        ids = [1, 2] * length + [1]
        assert_same_as_reference(
            impl.a1.merge_pair(ids, (2, 1), 9), ref.a1.merge_pair(ids, (2, 1), 9), what=f"merge_pair([1, 2] * {length} + [1], (2, 1), 9)",
        )


@pytest.mark.task1_3
def test_merge_pair_takes_a_tuple_and_returns_a_new_list(impl, ref):
    """Given a tuple, does merge_pair return a list, and does it leave a list argument unchanged?"""
    ids = (4, 8, 4, 8, 8, 4)
    merged = impl.a1.merge_pair(ids, (4, 8), 300)
    assert_true(isinstance(merged, list), f"merge_pair of a tuple: expected a list, got {type(merged).__name__}", hint="build the result in a new list")
    assert_same_as_reference(merged, ref.a1.merge_pair(ids, (4, 8), 300), what="merge_pair((4, 8, 4, 8, 8, 4), (4, 8), 300)")
    ids = random_id_list(9, length=30, choices=[4, 8])
    original = list(ids)
    impl.a1.merge_pair(ids, (8, 8), 300)
    assert_equal(ids, original, what="a 30-id list after merge_pair(ids, (8, 8), 300)", hint="build a new list instead of editing ids")


# ---------------------------------------------------------------- Task 1.4


@pytest.mark.task1_4
def test_count_pretokens_matches_the_reference_on_random_texts(impl, ref):
    """Does count_pretokens agree with the reference on random texts of many scripts and kinds of whitespace?"""
    for seed in range(10):
        text = random_text(seed, length=10 + 15 * seed) if seed % 2 else random_corpus(seed, words=20 + 5 * seed)
        assert_same_as_reference(
            dict(impl.a1.count_pretokens(text)), dict(ref.a1.count_pretokens(text)),
            what=f"count_pretokens(text) for a random {len(text)}-character text (seed {seed})",
            hint="count the strings of pretokenize(text), then key each by tuple(pretoken.encode('utf-8'))",
        )


@pytest.mark.task1_4
def test_count_pretokens_drops_every_special_token_and_keeps_the_rest(impl, ref):
    """With several special tokens (one a prefix of another), is every one dropped and all text around them counted?"""
    special_tokens = ["<|end|>", "<|end|>!", "<|pad|>"]
    texts = {
        "special tokens between whitespace-only pieces": "a <|end|> \n<|pad|>\t<|end|>!  b",
        "special tokens at both ends and adjacent": "<|pad|><|end|>!x y<|end|><|pad|>",
        "a special token inside a word": "wor<|end|>d, word<|pad|>s",
    }
    for seed in range(4):
        texts[f"a random 60-word text with special tokens (seed {seed})"] = random_corpus(seed, words=60, special_tokens=tuple(special_tokens))
    for description, text in texts.items():
        assert_same_as_reference(
            dict(impl.a1.count_pretokens(text, special_tokens)), dict(ref.a1.count_pretokens(text, special_tokens)),
            what=f"count_pretokens(text, special_tokens) for {description}",
            hint="cut with split_on_special_tokens, drop the pieces that are special tokens, and pre-tokenize every other piece, whitespace included",
        )


@pytest.mark.task1_4
def test_count_pretokens_covers_every_byte_outside_special_tokens(impl):
    """Weighted by their counts, do the pre-tokens hold exactly the UTF-8 bytes of the text outside special tokens?"""
    special_tokens = ["<|end|>", "<|fin|>\u00e9"]
    for seed in range(4):
        text = random_corpus(seed + 10, words=40, special_tokens=tuple(special_tokens))
        outside = text.replace("<|fin|>\u00e9", "").replace("<|end|>", "")
        counts = impl.a1.count_pretokens(text, special_tokens)
        total = sum(len(pretoken) * count for pretoken, count in counts.items())
        assert_equal(
            total, len(outside.encode("utf-8")), what=f"total bytes over the pre-tokens of a random 40-word text (seed {seed + 10})",
            hint="every character outside special tokens lands in exactly one pre-token, as its UTF-8 bytes",
        )


# ---------------------------------------------------------------- Task 1.5


def index_state(index) -> dict:
    """The documented state of a PairIndex as plain data: words, word counts and pair counts."""
    return {
        "words": [list(word) for word in index.words],
        "word_counts": list(index.word_counts),
        "pair_counts": dict(index.pair_counts),
    }


def assert_index_matches(index, expected, *, what: str) -> None:
    """Compare the words, word counts and pair counts of ``index`` with the reference's ``expected`` index."""
    __tracebackhide__ = True
    got, want = index_state(index), index_state(expected)
    assert_same_as_reference(got["words"], want["words"], what=f"words {what}", hint="replace each occurrence of the pair, left to right, in every word that holds it")
    assert_same_as_reference(got["word_counts"], want["word_counts"], what=f"word_counts {what}")
    assert_same_as_reference(
        got["pair_counts"], want["pair_counts"], what=f"pair_counts {what}",
        hint="weight each change by the word's count; where occurrences touch (a b a b -> N N) count the shared neighbour once; drop pairs at 0",
    )


# Word sets for the index: few ids (many repeats and touching occurrences), and more ids with long words.
WORD_SETS = [
    ("30 words over 2 ids", dict(count=30, alphabet=(97, 98), max_length=9)),
    ("40 words over 3 ids", dict(count=40, alphabet=(97, 98, 99), max_length=12)),
    ("25 words over 6 ids", dict(count=25, alphabet=(32, 97, 98, 195, 169, 226), max_length=15)),
]


@pytest.mark.task1_5
@pytest.mark.parametrize("description, shape", WORD_SETS, ids=[name for name, _ in WORD_SETS])
def test_pair_index_merges_like_the_reference(impl, ref, description, shape):
    """Applying the reference's merges one by one, do words and pair counts stay equal to the reference's?"""
    for seed in range(3):
        words = random_words(seed, **shape)
        impl_vocab, ref_vocab = byte_vocab(), byte_vocab()
        index, expected = impl.a1.PairIndex(Counter(words), impl_vocab), ref.a1.PairIndex(Counter(words), ref_vocab)
        where = f"of {description} (seed {seed})"
        assert_index_matches(index, expected, what=f"of a new PairIndex {where}")
        for step, new_id in enumerate(range(256, 276)):
            pair = expected.best_pair()
            if pair is None:
                break
            for vocab in (impl_vocab, ref_vocab):
                vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
            expected.merge(pair, new_id)
            index.merge(pair, new_id)
            assert_index_matches(index, expected, what=f"after merge {step + 1} {where}")


@pytest.mark.task1_5
@pytest.mark.parametrize("description, shape", WORD_SETS, ids=[name for name, _ in WORD_SETS])
def test_pair_index_picks_the_pairs_the_reference_picks(impl, ref, description, shape):
    """Training with the index, does best_pair pick the reference's pair at every step until none is left?"""
    for seed in range(3):
        words = random_words(seed + 50, **shape)
        impl_vocab, ref_vocab = byte_vocab(), byte_vocab()
        index, expected = impl.a1.PairIndex(Counter(words), impl_vocab), ref.a1.PairIndex(Counter(words), ref_vocab)
        for new_id in range(256, 400):
            pair, expected_pair = index.best_pair(), expected.best_pair()
            assert_same_as_reference(
                pair, expected_pair, what=f"best_pair() at merge {new_id - 255} of {description} (seed {seed + 50})",
                hint="most frequent pair first, ties to the greater (vocab[a], vocab[b]); skip heap entries whose count is out of date",
            )
            if expected_pair is None:
                break
            for vocab in (impl_vocab, ref_vocab):
                vocab[new_id] = vocab[expected_pair[0]] + vocab[expected_pair[1]]
            index.merge(expected_pair, new_id)
            expected.merge(expected_pair, new_id)


@pytest.mark.task1_5
def test_best_pair_skips_entries_whose_count_fell(impl):
    """After a merge lowers a pair's count below another pair's, does best_pair pick the other pair?"""
    # (1, 2) occurs 10 times, (2, 3) 9 times, (4, 5) 8 times. Merging (1, 2) takes 5 of
    # (2, 3)'s occurrences (in 1 2 3): it drops to 4, and (4, 5) is now the most frequent.
    vocab = byte_vocab()
    index = impl.a1.PairIndex(Counter({(1, 2, 3): 5, (1, 2): 5, (2, 3): 4, (4, 5): 8}), vocab)
    assert_equal(index.best_pair(), (1, 2), what="the first best_pair() of counts (1, 2): 10, (2, 3): 9, (4, 5): 8")
    vocab[256] = vocab[1] + vocab[2]
    index.merge((1, 2), 256)
    assert_equal(
        index.best_pair(), (4, 5), what="best_pair() after merging (1, 2), which left (2, 3) at 4 and (4, 5) at 8",
        hint="the heap still holds (2, 3) at its old count 9: a popped entry whose count differs from pair_counts is stale",
    )
    remaining = [index.best_pair() for _ in range(3)]
    assert_equal(remaining, [(256, 3), (2, 3), None], what="the next three best_pair() calls (counts (256, 3): 5, (2, 3): 4)")


@pytest.mark.task1_5
def test_best_pair_ties_compare_the_bytes_of_merged_tokens(impl, ref):
    """Among equally frequent pairs, does best_pair compare the byte strings of merged tokens, then the ids?"""
    vocab = byte_vocab()
    vocab[256] = b"aa"  # from (97, 97)
    vocab[257] = b"ab"  # from (97, 98)
    vocab[258] = vocab[256] + b"b"  # b"aab" from (256, 98) ...
    vocab[259] = b"a" + vocab[257]  # ... and b"aab" again from (97, 257): two ids, the same bytes
    cases = {
        "(256, 97) = (b'aa', b'a') against (98, 97) = (b'b', b'a')": Counter({(256, 97): 2, (98, 97): 2}),
        "(97, 257) = (b'a', b'ab') against (256, 98) = (b'aa', b'b')": Counter({(97, 257): 1, (256, 98): 1}),
        "(258, 99) against (259, 99), both (b'aab', b'c')": Counter({(258, 99): 3, (259, 99): 3}),
    }
    for description, words in cases.items():
        order = []
        index, expected = impl.a1.PairIndex(words, dict(vocab)), ref.a1.PairIndex(words, dict(vocab))
        for _ in range(3):
            order.append((index.best_pair(), expected.best_pair()))
        assert_same_as_reference(
            [got for got, _ in order], [want for _, want in order], what=f"three best_pair() calls on a tie between {description}",
            hint="ties go to the greater (vocab[a], vocab[b]), compared as byte strings; only if those are equal, to the greater pair of ids",
        )


@pytest.mark.task1_5
def test_pair_index_lists_every_word_under_each_of_its_pairs(impl, ref):
    """After every merge, is each word listed in words_with_pair under every pair it holds?"""
    words = random_words(7, count=30, alphabet=(97, 98, 99), max_length=10)
    impl_vocab, ref_vocab = byte_vocab(), byte_vocab()
    index, expected = impl.a1.PairIndex(Counter(words), impl_vocab), ref.a1.PairIndex(Counter(words), ref_vocab)
    for new_id in range(256, 272):
        pair = expected.best_pair()
        if pair is None:
            break
        for vocab in (impl_vocab, ref_vocab):
            vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        expected.merge(pair, new_id)
        index.merge(pair, new_id)
        for word_index, word in enumerate(index.words):
            for held in zip(word, word[1:]):
                if word_index not in index.words_with_pair.get(held, ()):
                    fail(
                        f"words_with_pair after {new_id - 255} merges: word {word_index} holds the pair {held} but is not listed under it",
                        hint="when a merge creates (x, N) or (N, y) in a word, add the word to words_with_pair of that pair",
                    )


@pytest.mark.task1_5
def test_best_pair_is_none_when_nothing_can_be_merged(impl):
    """Does best_pair return None, again and again, for no words and for words of one token each?"""
    for description, words in {"no words": Counter(), "one-token words": Counter({(97,): 3, (300,): 1})}.items():
        index = impl.a1.PairIndex(words, byte_vocab() | {300: b"xyz"})
        assert_equal(dict(index.pair_counts), {}, what=f"pair_counts of {description}")
        for attempt in range(2):
            assert_equal(index.best_pair(), None, what=f"best_pair() call {attempt + 1} on {description}", hint="an empty heap means no pair is left: return None")


# ---------------------------------------------------------------- Task 1.6


@pytest.mark.task1_6
def test_train_bpe_matches_the_reference_on_random_corpora(impl, ref):
    """Does train_bpe learn the reference's merges on random word-like texts, for several vocabulary sizes?"""
    for seed, vocab_size in [(0, 270), (1, 300), (2, 330), (3, 1000)]:
        text = random_corpus(seed, words=150)
        tokenizer, expected = impl.a1.train_bpe(text, vocab_size), ref.a1.train_bpe(text, vocab_size)
        assert_same_as_reference(
            as_pairs(tokenizer.merges), as_pairs(expected.merges),
            what=f"train_bpe(text, {vocab_size}).merges on a random 150-word text (seed {seed})",
            hint="most frequent pair inside pre-tokens first; ties to the greater (vocab[a], vocab[b]); stop when no pair is left",
        )


@pytest.mark.task1_6
def test_train_bpe_breaks_ties_like_the_reference(impl, ref):
    """On texts over two or three characters, where counts tie all the time, are the merges the reference's?"""
    alphabets = ["ab", "ab ", "a\u00e9 ", "xy\n\u00e9"]
    for seed, alphabet in enumerate(alphabets * 2):
        text = random_text(seed, length=40 + 10 * seed, alphabet=alphabet)
        assert_same_as_reference(
            as_pairs(impl.a1.train_bpe(text, 290).merges), as_pairs(ref.a1.train_bpe(text, 290).merges),
            what=f"train_bpe(text, 290).merges on a random {len(text)}-character text over {len(alphabet)} characters (seed {seed})",
            hint="among equal counts the greater pair of byte strings wins: (b'aa', b'a') > (b'a', b'b')",
        )


@pytest.mark.task1_6
def test_train_bpe_cuts_out_special_tokens(impl, ref):
    """With special tokens in the text (even inside words), are the merges the reference's and the tokens kept in order?"""
    special_tokens = list(SPECIAL_TOKENS)
    for seed in range(3):
        text = random_corpus(seed + 20, words=100, special_tokens=SPECIAL_TOKENS)
        vocab_size = 256 + 40 + len(special_tokens)
        tokenizer, expected = impl.a1.train_bpe(text, vocab_size, special_tokens), ref.a1.train_bpe(text, vocab_size, special_tokens)
        call, where = f"train_bpe(text, {vocab_size}, special_tokens)", f"with 3 special tokens on a random 100-word text (seed {seed + 20})"
        assert_same_as_reference(
            as_pairs(tokenizer.merges), as_pairs(expected.merges), what=f"{call}.merges {where}",
            hint="count pairs with count_pretokens(text, special_tokens): special tokens are cut out before counting",
        )
        assert_equal(tuple(tokenizer.special_tokens), SPECIAL_TOKENS, what=f"{call}.special_tokens {where}", hint="pass the special tokens on to BPETokenizer in the order given")


@pytest.mark.task1_6
def test_train_bpe_vocabulary_of_only_bytes_and_special_tokens(impl):
    """With vocab_size = 256 + the number of special tokens, does train_bpe learn no merge at all?"""
    text = random_corpus(4, words=50)
    tokenizer = impl.a1.train_bpe(text, 256 + 2, ["<|a|>", "<|b|>"])
    assert_equal(as_pairs(tokenizer.merges), [], what="train_bpe(text, 258, 2 special tokens).merges", hint="the number of merges is vocab_size - 256 - len(special_tokens)")
    assert_equal(tuple(tokenizer.special_tokens), ("<|a|>", "<|b|>"), what="train_bpe(text, 258, 2 special tokens).special_tokens")


@pytest.mark.task1_6
def test_train_bpe_refuses_bad_arguments(impl):
    """Is vocab_size too small for the bytes and the special tokens a ValueError naming it, as are bad special tokens?"""
    text = random_corpus(5, words=30)
    with assert_raises(
        ValueError, what='train_bpe(text, 257, ["<|a|>", "<|b|>"])', mentions=["257"],
        hint="vocab_size must hold the 256 bytes and every special token: at least 256 + len(special_tokens)",
    ):
        impl.a1.train_bpe(text, 257, ["<|a|>", "<|b|>"])
    with assert_raises(ValueError, what='train_bpe(text, 256, ["<|a|>"])', mentions=["256"]):
        impl.a1.train_bpe(text, 256, ["<|a|>"])
    with assert_raises(ValueError, what='train_bpe(text, 300, ["<|a|>", "<|a|>"])', hint="check the special tokens with check_special_tokens"):
        impl.a1.train_bpe(text, 300, ["<|a|>", "<|a|>"])
    with assert_raises(ValueError, what='train_bpe(text, 300, [""])', hint="check the special tokens with check_special_tokens"):
        impl.a1.train_bpe(text, 300, [""])


# ---------------------------------------------------------------- Task 1.7


def trained_merges(ref, *, seed: int, vocab_size: int) -> list[tuple[int, int]]:
    """Merges the reference learns from a random corpus (plain data for the student's BPETokenizer)."""
    return as_pairs(ref.a1.train_bpe(random_corpus(seed, words=300, special_tokens=SPECIAL_TOKENS), vocab_size, SPECIAL_TOKENS).merges)


@pytest.mark.task1_7
def test_bpe_tokenizer_builds_the_reference_tables(impl, ref):
    """From learned merges and non-ASCII special tokens, are vocab, merge_ranks, special_token_ids and vocab_size the reference's?"""
    merges = trained_merges(ref, seed=30, vocab_size=350)
    tokenizer, expected = impl.a1.BPETokenizer(merges, SPECIAL_TOKENS), ref.a1.BPETokenizer(merges, SPECIAL_TOKENS)
    where = f"BPETokenizer({len(merges)} learned merges, 3 special tokens)"
    assert_same_as_reference(dict(tokenizer.vocab), dict(expected.vocab), what=f"{where}.vocab", hint="vocab[256 + i] = vocab[a] + vocab[b]; special tokens follow as their UTF-8 bytes")
    assert_same_as_reference(dict(tokenizer.merge_ranks), dict(expected.merge_ranks), what=f"{where}.merge_ranks", hint="merge_ranks maps each pair to its rank i (0, 1, ...), not to its new id")
    assert_same_as_reference(dict(tokenizer.special_token_ids), dict(expected.special_token_ids), what=f"{where}.special_token_ids")
    assert_same_as_reference(tokenizer.vocab_size, expected.vocab_size, what=f"{where}.vocab_size")


@pytest.mark.task1_7
def test_bpe_encode_matches_the_reference(impl, ref):
    """Does encode agree with the reference on new random texts, runs of whitespace and unseen characters included?"""
    merges = trained_merges(ref, seed=31, vocab_size=380)
    tokenizer, expected = impl.a1.BPETokenizer(merges, SPECIAL_TOKENS), ref.a1.BPETokenizer(merges, SPECIAL_TOKENS)
    texts = {f"a random 80-word text (seed {seed})": random_corpus(seed, words=80) for seed in range(40, 44)}
    texts |= {f"a random 60-character text (seed {seed})": random_text(seed, length=60) for seed in range(2)}
    for description, text in texts.items():
        expected_ids = expected.encode(text)
        hint = "encode each pre-token on its own, merging the lowest-ranked pair present until none is a merge"
        assert_same_as_reference(tokenizer.encode(text), expected_ids, what=f"encode(text) for {description}", hint=hint)
        assert_same_as_reference(tokenizer.encode(text), expected_ids, what=f"a second encode(text) of the same text, {description}", hint="the cache must give what encoding afresh gives")


@pytest.mark.task1_7
def test_bpe_encode_keeps_special_tokens_whole(impl, ref):
    """Are special tokens (one a prefix of another) found first and kept whole, and their lookalikes encoded as text?"""
    special_tokens = ["<|end|>", "<|end|><|pad|>", "<|pad|>"]
    merges = trained_merges(ref, seed=32, vocab_size=320)
    tokenizer, expected = impl.a1.BPETokenizer(merges, special_tokens), ref.a1.BPETokenizer(merges, special_tokens)
    texts = {
        "special tokens at both ends and adjacent": "<|end|><|pad|><|pad|>the<|end|>",
        "a special token inside a word": "th<|pad|>ing an<|end|>e",
        "broken lookalikes of special tokens": "<|end| <|pad <end|> |>",
        "a random 60-word text with special tokens": random_corpus(33, words=60, special_tokens=tuple(special_tokens)),
    }
    for description, text in texts.items():
        assert_same_as_reference(
            tokenizer.encode(text), expected.encode(text), what=f"encode(text) for {description}",
            hint="cut the text with split_on_special_tokens (longest first) before pre-tokenizing",
        )


@pytest.mark.task1_7
def test_bpe_decode_joins_bytes_before_decoding(impl):
    """Does decode join the bytes of all ids before decoding, so a character split over ids comes back whole?"""
    tokenizer = impl.a1.BPETokenizer([(226, 130), (104, 105)], ["<|end|>"])
    euro = list("\u20ac".encode("utf-8"))  # [226, 130, 172]
    assert_equal(tokenizer.decode(euro), "\u20ac", what="decode([226, 130, 172]), the bytes of '\u20ac'", hint="b''.join(bytes of each id).decode('utf-8', errors='replace')")
    assert_equal(tokenizer.decode([256, 172, 257]), "\u20achi", what="decode([256, 172, 257]) where 256 = b'\\xe2\\x82' and 257 = b'hi'")
    assert_equal(tokenizer.decode([256, 97]), "\ufffda", what="decode([256, 97]): a cut '\u20ac' then 'a'", hint="replace invalid UTF-8 with U+FFFD: errors='replace'")
    assert_equal(tokenizer.decode(iter([258, 257])), "<|end|>hi", what="decode of an iterator over [258, 257] (a special token, then 'hi')")


@pytest.mark.task1_7
def test_bpe_decode_refuses_ids_outside_the_vocabulary(impl):
    """Are a negative id and the first id past the special tokens a ValueError naming the id?"""
    tokenizer = impl.a1.BPETokenizer([(97, 98)], ["<|end|>"])
    with assert_raises(ValueError, what="decode([97, 258]) with 258 ids", mentions=["258"]):
        tokenizer.decode([97, 258])
    with assert_raises(ValueError, what="decode([-1]) with 258 ids", mentions=["-1"], hint="a negative id is not in vocab either"):
        tokenizer.decode([-1])


@pytest.mark.task1_7
@ROUND_TRIP_SETTINGS
@given(pieces=st.lists(st.one_of(st.text(max_size=15), st.sampled_from(SPECIAL_TOKENS)), max_size=5))
def test_bpe_round_trips_arbitrary_unicode(impl, pieces):
    """For any Unicode text with special tokens mixed in, does decode(encode(text)) give the text back?"""
    text = "".join(pieces)
    tokenizer = impl.a1.BPETokenizer(MERGES_FOR_ROUND_TRIPS, SPECIAL_TOKENS)
    ids = tokenizer.encode(text)
    vocab = tokenizer.vocab
    assert_true(all(isinstance(token_id, int) and token_id in vocab for token_id in ids), f"encode(text) gave ids outside the vocabulary: {ids}")
    assert_equal(tokenizer.decode(ids), text, what="decode(encode(text))")

