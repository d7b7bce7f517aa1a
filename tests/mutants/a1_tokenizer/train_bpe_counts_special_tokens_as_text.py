"""train_bpe counts pairs without passing the special tokens on, so their bytes are counted as text.

count_pretokens(text) reads naturally; forgetting its second argument lets "<|", "eos", "|>" compete for merges.
"""

TASK = "1.6"
KIND = "mutant"


@_without_cycle_collection
def train_bpe(text, vocab_size, special_tokens=()):
    """Learn byte-level BPE merges (bug: special tokens are not cut out before counting)."""
    special_tokens = check_special_tokens(special_tokens)
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(
            f"vocab_size={vocab_size} is too small: it must hold the 256 bytes "
            f"and {len(special_tokens)} special tokens (at least {256 + len(special_tokens)})"
        )
    num_merges = vocab_size - 256 - len(special_tokens)
    vocab = {byte: bytes([byte]) for byte in range(256)}
    index = PairIndex(count_pretokens(text), vocab)
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
