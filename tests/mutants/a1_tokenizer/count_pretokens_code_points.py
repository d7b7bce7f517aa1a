"""count_pretokens keys pre-tokens by their code points (ord of each character), not their UTF-8 bytes.

Right for ASCII, so it passes on English text; "é" becomes (233,) instead of (195, 169).
"""

TASK = "1.4"
KIND = "mutant"


def count_pretokens(text, special_tokens=()):
    """Count distinct pre-tokens (bug: as code points instead of UTF-8 bytes)."""
    special = set(special_tokens)
    string_counts: Counter[str] = Counter()
    for piece in split_on_special_tokens(text, special_tokens):
        if piece not in special:
            string_counts.update(pretokenize(piece))
    return Counter({tuple(ord(char) for char in pretoken): count for pretoken, count in string_counts.items()})
