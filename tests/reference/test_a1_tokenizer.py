"""Tests of assignment 1: the character tokenizer and byte-level BPE.

The trusted references are written plainly in this file: a textbook BPE
trainer that recounts every pair after every merge, a plain merge, and an
encoder that replays every merge in order. The efficient reference solution
must agree with them exactly.
"""

from __future__ import annotations

import doctest
import gc
import json
import random
import time
from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions.a1_tokenizer import tokenizer as tokenizer_module
from solutions.a1_tokenizer.tokenizer import (
    PRETOKEN_PATTERN,
    BPETokenizer,
    CharTokenizer,
    PairIndex,
    count_pretokens,
    get_pair_counts,
    merge_pair,
    pretokenize,
    train_bpe,
)

# Random texts over a tiny alphabet: few distinct pairs, so many ties.
TIE_PRONE_TEXT = st.text(alphabet="ab c\né", max_size=80)

UNICODE_SAMPLE = (
    "Café naïve résumé, déjà vu! 日本語のテキスト、日本語。 "
    "😀😀😀 👍🏽👍🏽 👨‍👩‍👧 e\u0301 Ωμέγα 123 4567 it's we'll they've\n\n\t  end  "
)


# ------------------------------------------------------------ trusted references


def plain_merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Left-to-right, non-overlapping replacement, written independently of merge_pair."""
    result: list[int] = []
    just_merged = False  # a freshly merged token may not be glued again
    for token_id in ids:
        if result and not just_merged and result[-1] == pair[0] and token_id == pair[1]:
            result[-1] = new_id
            just_merged = True
        else:
            result.append(token_id)
            just_merged = False
    return result


def split_plainly(text: str, special_tokens: tuple[str, ...]) -> list[str]:
    """The text between special tokens, found by scanning (longest token first on a tie)."""
    pieces, start, position = [], 0, 0
    while position < len(text):
        matches = [token for token in special_tokens if text.startswith(token, position)]
        if matches:
            pieces.append(text[start:position])
            position += len(max(matches, key=len))
            start = position
        else:
            position += 1
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


def textbook_bpe(text: str, vocab_size: int, special_tokens: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Textbook BPE: recount all pairs of all pre-tokens after every merge.

    Winner: max over (count, vocab[a], vocab[b], (a, b)).
    """
    words = [
        list(pretoken.encode("utf-8"))
        for piece in split_plainly(text, special_tokens)
        for pretoken in PRETOKEN_PATTERN.findall(piece)
    ]
    vocab = {byte: bytes([byte]) for byte in range(256)}
    merges = []
    for new_id in range(256, vocab_size - len(special_tokens)):
        counts: dict[tuple[int, int], int] = {}
        for word in words:
            for i in range(len(word) - 1):
                pair = (word[i], word[i + 1])
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts, key=lambda pair: (counts[pair], vocab[pair[0]], vocab[pair[1]], pair))
        merges.append(best)
        vocab[new_id] = vocab[best[0]] + vocab[best[1]]
        words = [plain_merge(word, best, new_id) for word in words]
    return merges


def replay_encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Encode by applying every merge, in order, to every pre-token (no special tokens)."""
    ids = []
    for pretoken in PRETOKEN_PATTERN.findall(text):
        word = list(pretoken.encode("utf-8"))
        for rank, pair in enumerate(merges):
            word = plain_merge(word, pair, 256 + rank)
        ids.extend(word)
    return ids


def random_words_text(seed: int, n_words: int) -> str:
    """Seeded pseudo-English: Zipf-distributed words built from syllables, punctuation, newlines."""
    rng = random.Random(seed)
    syllables = ["th", "e", "an", "d", "ou", "k", "ing", "lo", "ve", "s", "a", "I", "r", "t", "o", "n"]
    syllables += ["é", "日", "本"]
    words = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(400)]
    zipf_weights = [1 / (rank + 1) for rank in range(len(words))]
    parts = []
    for word in rng.choices(words, weights=zipf_weights, k=n_words):
        parts.append(word)
        parts.append(rng.choice([" ", " ", " ", ", ", ".\n", "! ", "'s "]))
    return "".join(parts)


@pytest.fixture
def shakespeare_like() -> str:
    return random_words_text(seed=0, n_words=1500)


def test_plain_merge_reference_is_sound():
    """Does the test's own reference merge give the documented answers?"""
    assert plain_merge([1, 2, 3, 1, 2], (1, 2), 4) == [4, 3, 4]
    assert plain_merge([5, 5, 5], (5, 5), 6) == [6, 5]
    assert plain_merge([5, 5, 5, 5], (5, 5), 6) == [6, 6]
    assert plain_merge([1, 2, 1, 2], (2, 1), 9) == [1, 9, 2]


def test_docstring_examples_hold():
    """Do the worked examples in the module's docstrings give what they claim?"""
    results = doctest.testmod(tokenizer_module, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 20
    assert results.failed == 0


# ----------------------------------------------------------------- CharTokenizer


def test_char_tokenizer_from_text_sorts_unique_characters():
    """Does from_text use the sorted distinct characters, in id order?"""
    tokenizer = CharTokenizer.from_text("hello")
    assert tokenizer.chars == "ehlo"
    assert tokenizer.vocab_size == 4
    assert tokenizer.encode("hole") == [1, 3, 2, 0]
    assert tokenizer.decode([1, 0, 2, 2, 3]) == "hello"


def test_char_tokenizer_keeps_given_order():
    """Does the constructor keep the vocabulary order it was given?"""
    tokenizer = CharTokenizer("zyx")
    assert tokenizer.encode("xyz") == [2, 1, 0]


@settings(deadline=None, max_examples=100)
@given(st.text())
def test_char_tokenizer_round_trip(text):
    """Does decode(encode(text)) give any Unicode text back, one id per character?"""
    tokenizer = CharTokenizer.from_text(text)
    ids = tokenizer.encode(text)
    assert len(ids) == len(text)
    assert tokenizer.decode(ids) == text


def test_char_tokenizer_unknown_character_names_it_and_its_position():
    """Is an unknown character reported with its repr and position?"""
    tokenizer = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"'z'.*position 2"):
        tokenizer.encode("abzc")


@pytest.mark.parametrize("bad_id", [3, -1, 100])
def test_char_tokenizer_unknown_id_names_it(bad_id):
    """Is an id outside the vocabulary (negative ones included) a ValueError naming it?"""
    tokenizer = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=rf"id {bad_id}\b"):
        tokenizer.decode([0, bad_id])


def test_char_tokenizer_rejects_duplicate_characters():
    """Is a vocabulary with a repeated character refused?"""
    with pytest.raises(ValueError, match="'a'"):
        CharTokenizer("aba")


# --------------------------------------------------------------- get_pair_counts


def test_get_pair_counts_known_examples():
    """Are overlapping pairs counted as in the docstring, and short inputs empty?"""
    assert get_pair_counts([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert get_pair_counts([5, 5, 5]) == {(5, 5): 2}
    assert get_pair_counts([7]) == {}
    assert get_pair_counts([]) == {}


@settings(deadline=None, max_examples=100)
@given(st.lists(st.integers(0, 4), max_size=30))
def test_get_pair_counts_matches_counter(ids):
    """Does it agree with collections.Counter over zip(ids, ids[1:])?"""
    assert get_pair_counts(ids) == dict(Counter(zip(ids, ids[1:])))


# -------------------------------------------------------------------- merge_pair


def test_merge_pair_known_examples():
    """Is the merge left to right and non-overlapping, as in minbpe's example?"""
    assert merge_pair([1, 2, 3, 1, 2], (1, 2), 4) == [4, 3, 4]
    assert merge_pair([5, 5, 5], (5, 5), 6) == [6, 5]
    assert merge_pair([], (1, 2), 3) == []
    assert merge_pair([1], (1, 2), 3) == [1]


@settings(deadline=None, max_examples=200)
@given(st.lists(st.integers(0, 2), max_size=30), st.tuples(st.integers(0, 2), st.integers(0, 2)))
def test_merge_pair_matches_plain_merge_and_leaves_input_alone(ids, pair):
    """Does merge_pair agree with the plain reference and not modify its argument?"""
    original = list(ids)
    assert merge_pair(ids, pair, 99) == plain_merge(original, pair, 99)
    assert ids == original


# ------------------------------------------------------------ pre-tokenization


@settings(deadline=None, max_examples=200)
@given(st.text())
def test_pretokenize_loses_nothing(text):
    """Do the pre-tokens of any text join back to the text?"""
    assert "".join(pretokenize(text)) == text


def test_pretokenize_splits_like_gpt2():
    """Are contractions, leading spaces, digits and punctuation split as GPT-2 does?"""
    assert pretokenize("Hello, world's 42 cats!") == ["Hello", ",", " world", "'s", " 42", " cats", "!"]
    assert pretokenize("a  b\n") == ["a", " ", " b", "\n"]
    assert pretokenize("déjà_vu") == ["déjà", "_", "vu"]


def test_count_pretokens_counts_distinct_byte_tuples():
    """Are pre-tokens counted once each, as UTF-8 byte tuples, with special tokens dropped?"""
    assert count_pretokens("hi hi hi") == Counter({(32, 104, 105): 2, (104, 105): 1})
    assert count_pretokens("a<|eos|>a", ["<|eos|>"]) == Counter({(97,): 2})
    assert count_pretokens("é") == Counter({(0xC3, 0xA9): 1})


def test_count_pretokens_matches_plain_count(shakespeare_like):
    """Does it agree with encoding every pre-token and counting them?"""
    expected = Counter(tuple(p.encode("utf-8")) for p in PRETOKEN_PATTERN.findall(shakespeare_like))
    assert count_pretokens(shakespeare_like) == expected


# --------------------------------------------------------------------- PairIndex


def weighted_pair_counts(words: list[list[int]], word_counts: list[int]) -> dict[tuple[int, int], int]:
    counts: Counter[tuple[int, int]] = Counter()
    for word, word_count in zip(words, word_counts):
        for pair in zip(word, word[1:]):
            counts[pair] += word_count
    return dict(counts)


def test_pair_index_docstring_example():
    """Does the hand-checkable example of the docstring hold?"""
    vocab = {byte: bytes([byte]) for byte in range(256)}
    index = PairIndex(Counter({(1, 2, 3): 2, (2, 3): 1}), vocab)
    assert index.pair_counts == {(1, 2): 2, (2, 3): 3}
    assert index.best_pair() == (2, 3)
    vocab[256] = vocab[2] + vocab[3]
    index.merge((2, 3), 256)
    assert index.words == [[1, 256], [256]]
    assert index.pair_counts == {(1, 256): 2}


def test_pair_index_merge_updates_neighbours_of_repeated_occurrences():
    """In [7, 1, 2, 1, 2, 9] (count 3), does merging (1, 2) -> 5 leave exactly (7,5), (5,5), (5,9)?"""
    vocab = {byte: bytes([byte]) for byte in range(256)}
    index = PairIndex(Counter({(7, 1, 2, 1, 2, 9): 3}), vocab)
    assert index.pair_counts == {(7, 1): 3, (1, 2): 6, (2, 1): 3, (2, 9): 3}
    vocab[256] = vocab[1] + vocab[2]
    index.merge((1, 2), 256)
    assert index.words == [[7, 256, 256, 9]]
    assert index.pair_counts == {(7, 256): 3, (256, 256): 3, (256, 9): 3}


def test_pair_index_stays_equal_to_a_full_recount(shakespeare_like):
    """After each of 60 merges, do the incremental counts, words and index equal a recount?"""
    pretoken_counts = count_pretokens(shakespeare_like)
    vocab = {byte: bytes([byte]) for byte in range(256)}
    index = PairIndex(pretoken_counts, vocab)
    words = [list(word) for word in pretoken_counts]
    word_counts = list(pretoken_counts.values())
    for new_id in range(256, 316):
        expected_counts = weighted_pair_counts(words, word_counts)
        assert index.pair_counts == expected_counts
        for word_index, word in enumerate(words):
            for pair in zip(word, word[1:]):
                assert word_index in index.words_with_pair[pair], f"word {word_index} missing under {pair}"
        pair = index.best_pair()
        assert pair == max(expected_counts, key=lambda p: (expected_counts[p], vocab[p[0]], vocab[p[1]], p))
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        index.merge(pair, new_id)
        words = [plain_merge(word, pair, new_id) for word in words]
        assert index.words == words


def test_pair_index_best_pair_is_none_when_nothing_is_left():
    """Does best_pair say None once every word is a single token?"""
    vocab = {byte: bytes([byte]) for byte in range(256)}
    index = PairIndex(Counter({(97,): 3, (98,): 1}), vocab)
    assert index.best_pair() is None


# --------------------------------------------------------------------- train_bpe


def test_train_bpe_minbpe_example_by_hand():
    """Does "aaabdaaabac" give the merges worked out by hand?

    One pre-token (no spaces). (97, 97) occurs 4 times -> 256 = "aa". The ids
    are then [aa, a, b, d, aa, a, b, a, c]: (256, 97) and (97, 98) tie at 2 and
    (b"aa", b"a") > (b"a", b"b"), so 257 = "aaa". Then (257, 98) occurs twice:
    258 = "aaab", and the text encodes as [258, 100, 258, 97, 99] (minbpe's
    answer too).
    """
    tokenizer = train_bpe("aaabdaaabac", 256 + 3)
    assert tokenizer.merges == [(97, 97), (256, 97), (257, 98)]
    assert tokenizer.vocab[258] == b"aaab"
    assert tokenizer.encode("aaabdaaabac") == [258, 100, 258, 97, 99]


@pytest.mark.parametrize(
    "text, vocab_size",
    [
        ("aaabdaaabac", 270),
        ("aaaa", 260),
        ("aaaaa aaaa aaa aa a aaaaaaa", 270),
        ("ab ba ab ba cd dc cd dc", 270),  # ties everywhere
        ("xyz zyx yzx xzy", 270),
        (UNICODE_SAMPLE * 3, 330),
        ("🙂🙂🙂 🙃🙂 naïve naïve 中文中文中文", 290),
    ],
)
def test_train_bpe_matches_textbook_bpe(text, vocab_size):
    """Does the efficient trainer learn exactly the textbook trainer's merges, ties included?"""
    assert train_bpe(text, vocab_size).merges == textbook_bpe(text, vocab_size)


def test_train_bpe_matches_textbook_bpe_on_longer_text(shakespeare_like):
    """Do 120 merges on ~9 kB of Zipf-distributed pseudo-English agree with the textbook trainer?"""
    assert train_bpe(shakespeare_like, 376).merges == textbook_bpe(shakespeare_like, 376)


@settings(deadline=None, max_examples=100)
@given(TIE_PRONE_TEXT, st.integers(256, 290))
def test_train_bpe_matches_textbook_bpe_on_random_text(text, vocab_size):
    """On random tie-prone text, are the merges identical to the textbook trainer's?"""
    assert train_bpe(text, vocab_size).merges == textbook_bpe(text, vocab_size)


def test_train_bpe_with_special_tokens_matches_textbook_bpe():
    """Are special tokens cut out before training, and do they take the ids after the merges?"""
    special_tokens = ("<|endoftext|>", "<|pad|>")
    text = "hello there<|endoftext|>hello again<|pad|><|pad|>there there<|endoftext|>"
    tokenizer = train_bpe(text, 300, special_tokens)
    merges = textbook_bpe(text, 300, special_tokens)
    assert tokenizer.merges == merges
    assert len(merges) > 10  # stopped early: this short text runs out of pairs
    assert tokenizer.vocab_size == 256 + len(merges) + 2
    first_special_id = 256 + len(merges)
    assert tokenizer.vocab[first_special_id] == b"<|endoftext|>"
    assert tokenizer.vocab[first_special_id + 1] == b"<|pad|>"
    # No merge may contain a piece of a special token's text glued to its neighbour.
    assert not any(b"|" in tokenizer.vocab[256 + rank] for rank in range(len(merges)))


def test_train_bpe_merges_stay_inside_pretokens(shakespeare_like):
    """Is every learned token a piece of a single pre-token (no merge across words)?"""
    tokenizer = train_bpe(shakespeare_like, 400)
    pretokens = {p.encode("utf-8") for p in PRETOKEN_PATTERN.findall(shakespeare_like)}
    for token_id in range(256, tokenizer.vocab_size):
        token = tokenizer.vocab[token_id]
        assert any(token in pretoken for pretoken in pretokens), f"token {token!r} spans pre-tokens"


def test_train_bpe_stops_when_no_pair_is_left():
    """Does training stop early, with fewer merges than asked, when every word is one token?"""
    tokenizer = train_bpe("ab ab", 1000, ["<|eos|>"])
    assert tokenizer.merges == [(97, 98), (32, 256)]
    assert tokenizer.vocab_size == 256 + 2 + 1
    assert tokenizer.special_token_ids == {"<|eos|>": 258}


def test_train_bpe_smallest_vocab_has_no_merges():
    """Is vocab_size = 256 + len(special_tokens) allowed, giving no merges?"""
    tokenizer = train_bpe("hello hello", 257, ["<|eos|>"])
    assert tokenizer.merges == []
    assert tokenizer.vocab_size == 257


@pytest.mark.parametrize("vocab_size, special_tokens", [(255, ()), (0, ()), (257, ("<a>", "<b>"))])
def test_train_bpe_rejects_too_small_vocab(vocab_size, special_tokens):
    """Is a vocab_size that cannot hold the bytes and special tokens a ValueError naming it?"""
    with pytest.raises(ValueError, match=f"vocab_size={vocab_size}"):
        train_bpe("hello", vocab_size, special_tokens)


@pytest.mark.parametrize("special_tokens", [("",), ("<a>", "<a>"), (3,)])
def test_train_bpe_rejects_bad_special_tokens(special_tokens):
    """Are empty, repeated or non-string special tokens refused?"""
    with pytest.raises(ValueError, match="special tokens"):
        train_bpe("hello", 300, special_tokens)


def test_train_bpe_restores_the_garbage_collector():
    """Is the cycle collector, paused during training, back on afterwards, even after an error?"""
    assert gc.isenabled()
    train_bpe("hello hello", 260)
    assert gc.isenabled()
    with pytest.raises(ValueError):
        train_bpe("hello", 10)
    assert gc.isenabled()


def test_training_text_round_trips_and_shrinks(shakespeare_like):
    """Does the trained tokenizer encode its training text shorter, and decode it back exactly?"""
    tokenizer = train_bpe(shakespeare_like, 350)
    ids = tokenizer.encode(shakespeare_like)
    assert tokenizer.decode(ids) == shakespeare_like
    assert len(ids) < len(shakespeare_like.encode("utf-8")) / 2


def test_train_bpe_is_not_the_textbook_rescan():
    """Does training on ~380 kB reach vocab 512 in a few seconds?

    Why: students train BPE on Shakespeare (1.1 MB) in the capstone. The
    reference needs about 0.1 s here; recounting every pair of the whole text
    after each merge needs minutes. The limit is generous for slow machines.
    """
    text = random_words_text(seed=1, n_words=60_000)
    start = time.perf_counter()
    tokenizer = train_bpe(text, 512)
    assert time.perf_counter() - start < 10.0
    assert len(tokenizer.merges) == 256


# ------------------------------------------------------------------ BPETokenizer


def test_bpe_tokenizer_docstring_example():
    """Does the hand-checkable example of the docstring hold (vocab, encode, special id)?"""
    tokenizer = BPETokenizer([(97, 97), (256, 97), (257, 98)], ["<|eos|>"])
    assert tokenizer.vocab[256] == b"aa"
    assert tokenizer.vocab[258] == b"aaab"
    assert tokenizer.vocab[259] == b"<|eos|>"
    assert tokenizer.vocab_size == 260
    assert tokenizer.encode("aaabdaaabac<|eos|>") == [258, 100, 258, 97, 99, 259]
    assert tokenizer.encode("aaaab") == [256, 256, 98]
    assert tokenizer.decode([258, 33]) == "aaab!"


def test_bpe_encode_matches_replaying_every_merge(shakespeare_like):
    """Does lowest-rank-first merging give the same ids as replaying all merges in order?"""
    tokenizer = train_bpe(shakespeare_like, 400)
    other_text = random_words_text(seed=7, n_words=500) + UNICODE_SAMPLE
    assert tokenizer.encode(other_text) == replay_encode(other_text, tokenizer.merges)
    # Twice: the second pass is served by the per-pre-token cache.
    assert tokenizer.encode(other_text) == replay_encode(other_text, tokenizer.merges)


@pytest.fixture(scope="module")
def unicode_tokenizer() -> BPETokenizer:
    return train_bpe(UNICODE_SAMPLE * 5 + random_words_text(seed=2, n_words=500), 400, ["<|endoftext|>"])


@settings(deadline=None, max_examples=200)
@given(text=st.text())
def test_bpe_round_trip_on_any_unicode(unicode_tokenizer, text):
    """Does decode(encode(text)) give back any Unicode text, emoji and CJK included?"""
    assert unicode_tokenizer.decode(unicode_tokenizer.encode(text)) == text


def test_bpe_special_tokens_are_single_ids(unicode_tokenizer):
    """Is a special token in the text encoded as its one id, never split?"""
    eos = unicode_tokenizer.special_token_ids["<|endoftext|>"]
    ids = unicode_tokenizer.encode("café<|endoftext|><|endoftext|>日本")
    assert ids.count(eos) == 2
    assert unicode_tokenizer.decode(ids) == "café<|endoftext|><|endoftext|>日本"
    assert unicode_tokenizer.encode("<|endoftext|>") == [eos]
    assert eos not in unicode_tokenizer.encode("<|endoftext")


def test_bpe_longer_special_token_wins():
    """When one special token starts another, is the longer one taken?"""
    tokenizer = BPETokenizer([], ["<s>", "<s><s>"])
    assert tokenizer.encode("<s><s><s>") == [257, 256]


def test_bpe_decode_replaces_invalid_utf8():
    """Is a byte sequence that is not valid UTF-8 decoded with U+FFFD instead of raising?"""
    tokenizer = BPETokenizer([])
    assert tokenizer.decode([0xE2, 0x82]) == "\ufffd"  # the first two bytes of "€"
    assert tokenizer.decode([0xFF, 104, 105]) == "\ufffdhi"
    assert tokenizer.decode([0xE2, 0x82, 0xAC]) == "€"


@pytest.mark.parametrize("bad_id", [260, -1, 10_000])
def test_bpe_decode_unknown_id_names_it(bad_id):
    """Is an id outside the vocabulary a ValueError naming it?"""
    tokenizer = BPETokenizer([(97, 97)], ["<|eos|>"])
    with pytest.raises(ValueError, match=rf"id {bad_id}\b"):
        tokenizer.decode([97, bad_id])


@pytest.mark.parametrize(
    "merges, message",
    [
        ([(97, 256)], "does not exist"),  # merge 0 makes 256, it cannot use it
        ([(97, -1)], "does not exist"),
        ([(97, 98), (97, 98)], "repeats"),
        ([(97, 98, 99)], "pair of ints"),
        ([(97.0, 98)], "pair of ints"),
        ([97], "pair of ints"),
    ],
)
def test_bpe_tokenizer_rejects_invalid_merges(merges, message):
    """Are merges that use future ids, repeat, or are not int pairs refused?"""
    with pytest.raises(ValueError, match=message):
        BPETokenizer(merges)


# ------------------------------------------------------------ save, load, dicts


def test_save_load_round_trip(tmp_path, unicode_tokenizer):
    """Does a saved tokenizer load back with the same merges, special tokens and encoding?"""
    path = tmp_path / "tokenizer.json"
    unicode_tokenizer.save(path)
    loaded = BPETokenizer.load(path)
    assert loaded.merges == unicode_tokenizer.merges
    assert loaded.special_tokens == unicode_tokenizer.special_tokens
    assert loaded.vocab == unicode_tokenizer.vocab
    text = UNICODE_SAMPLE + "<|endoftext|>"
    assert loaded.encode(text) == unicode_tokenizer.encode(text)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["format"] == "minigpt-bpe" and saved["version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["tokenizer.json"]  # no temporary file left


def test_load_missing_file_names_the_path(tmp_path):
    """Is a missing file a FileNotFoundError naming the path?"""
    path = tmp_path / "nope.json"
    with pytest.raises(FileNotFoundError, match="nope.json"):
        BPETokenizer.load(path)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        json.dumps({"format": "something-else", "version": 1, "merges": [], "special_tokens": []}),
        json.dumps({"format": "minigpt-bpe", "version": 99, "merges": [], "special_tokens": []}),
        json.dumps({"format": "minigpt-bpe", "version": 1, "merges": [[97, 300]], "special_tokens": []}),
        json.dumps({"format": "minigpt-bpe", "version": 1, "merges": "oops", "special_tokens": []}),
    ],
)
def test_load_corrupt_file_names_the_path(tmp_path, content):
    """Is a file that is not a valid tokenizer a ValueError naming the path?"""
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json"):
        BPETokenizer.load(path)


def test_to_dict_survives_a_weights_only_checkpoint(tmp_path, unicode_tokenizer):
    """Can to_dict's output go through torch.save / torch.load(weights_only=True) and back?"""
    path = tmp_path / "checkpoint.pt"
    torch.save({"tokenizer": unicode_tokenizer.to_dict()}, path)
    loaded = BPETokenizer.from_dict(torch.load(path, weights_only=True)["tokenizer"])
    assert loaded.merges == unicode_tokenizer.merges
    assert loaded.special_tokens == unicode_tokenizer.special_tokens


@pytest.mark.parametrize("data", [None, {}, {"format": "minigpt-bpe", "version": 1}])
def test_from_dict_rejects_malformed_data(data):
    """Is data that is not a tokenizer dict a ValueError?"""
    with pytest.raises(ValueError):
        BPETokenizer.from_dict(data)
