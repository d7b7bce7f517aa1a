"""train_bpe as the textbook loop: recount every pair of every pre-token after each merge, no PairIndex.

Slower on a real corpus but exactly the same merges: the tie rule is written into the max key.
"""

TASK = "1.6"
KIND = "alternative"


@_without_cycle_collection
def train_bpe(text, vocab_size, special_tokens=()):
    """Learn byte-level BPE merges by recounting all pairs after every merge."""
    special_tokens = check_special_tokens(special_tokens)
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(f"vocab_size {vocab_size} cannot hold 256 bytes and {len(special_tokens)} special tokens")
    pretoken_counts = count_pretokens(text, special_tokens)
    words = [list(word) for word in pretoken_counts]
    word_counts = list(pretoken_counts.values())
    vocab = {byte: bytes([byte]) for byte in range(256)}
    merges: list[Pair] = []
    while len(merges) < vocab_size - 256 - len(special_tokens):
        counts: Counter[Pair] = Counter()
        for word, word_count in zip(words, word_counts):
            for pair in zip(word, word[1:]):
                counts[pair] += word_count
        if not counts:
            break
        pair = max(counts, key=lambda candidate: (counts[candidate], vocab[candidate[0]], vocab[candidate[1]], candidate))
        new_id = 256 + len(merges)
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        words = [merge_pair(word, pair, new_id) for word in words]
        merges.append(pair)
    return BPETokenizer(merges, special_tokens)
