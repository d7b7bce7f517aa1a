"""count_pretokens skips the whitespace-only text between special tokens.

"<|eos|>\n<|eos|>" looks like nothing between two tokens, so students drop blank pieces on purpose.
"""

TASK = "1.4"
KIND = "mutant"


def count_pretokens(text, special_tokens=()):
    """Count distinct pre-tokens as byte tuples (bug: whitespace-only pieces are dropped)."""
    special = set(special_tokens)
    string_counts: Counter[str] = Counter()
    for piece in split_on_special_tokens(text, special_tokens):
        if piece not in special and piece.strip():
            string_counts.update(pretokenize(piece))
    return Counter({tuple(pretoken.encode("utf-8")): count for pretoken, count in string_counts.items()})
