"""train_bpe only checks vocab_size >= 256, so a vocabulary too small for its special tokens is accepted.

The 256 bytes are the obvious minimum; that special tokens also need room is easy to miss.
"""

TASK = "1.6"
KIND = "mutant"


@_without_cycle_collection
def train_bpe(text, vocab_size, special_tokens=()):
    """Learn byte-level BPE merges (bug: the size check ignores the special tokens)."""
    special_tokens = check_special_tokens(special_tokens)
    if vocab_size < 256:
        raise ValueError(f"vocab_size={vocab_size} is too small: it must hold the 256 bytes")
    num_merges = vocab_size - 256 - len(special_tokens)
    vocab = {byte: bytes([byte]) for byte in range(256)}
    index = PairIndex(count_pretokens(text, special_tokens), vocab)
    merges: list[Pair] = []
    while len(merges) < num_merges:
        pair = index.best_pair()
        if pair is None:
            break
        new_id = 256 + len(merges)
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        index.merge(pair, new_id)
        merges.append(pair)
    return BPETokenizer(merges, special_tokens)
