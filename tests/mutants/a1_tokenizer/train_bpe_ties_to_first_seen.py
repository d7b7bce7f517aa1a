"""train_bpe recounts pairs each step and takes max(counts, key=counts.get): ties go to the pair seen first.

The textbook loop without the tie rule: Python's max keeps the first of equal keys.
"""

TASK = "1.6"
KIND = "mutant"


@_without_cycle_collection
def train_bpe(text, vocab_size, special_tokens=()):
    """Learn byte-level BPE merges (bug: ties go to the first pair counted)."""
    special_tokens = check_special_tokens(special_tokens)
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(
            f"vocab_size={vocab_size} is too small: it must hold the 256 bytes "
            f"and {len(special_tokens)} special tokens (at least {256 + len(special_tokens)})"
        )
    num_merges = vocab_size - 256 - len(special_tokens)
    pretoken_counts = count_pretokens(text, special_tokens)
    words = [list(word) for word in pretoken_counts]
    word_counts = list(pretoken_counts.values())
    merges: list[Pair] = []
    while len(merges) < num_merges:
        counts: dict[Pair, int] = {}
        for word, word_count in zip(words, word_counts):
            for pair, occurrences in get_pair_counts(word).items():
                counts[pair] = counts.get(pair, 0) + occurrences * word_count
        if not counts:
            break
        pair = max(counts, key=counts.get)
        new_id = 256 + len(merges)
        words = [merge_pair(word, pair, new_id) for word in words]
        merges.append(pair)
    return BPETokenizer(merges, special_tokens)
