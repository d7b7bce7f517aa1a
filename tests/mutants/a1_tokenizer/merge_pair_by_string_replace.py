"""merge_pair joins the ids into a string and uses str.replace: "11 2" also matches the pair (1, 2).

Replacing a substring is the shortest way to "replace a pair"; it works on single-digit ids.
"""

TASK = "1.3"
KIND = "mutant"


def merge_pair(ids, pair, new_id):
    """Replace every occurrence of ``pair`` (bug: matches digits inside longer ids)."""
    text = " ".join(str(token_id) for token_id in ids)
    merged = text.replace(f"{pair[0]} {pair[1]}", str(new_id))
    return [int(token) for token in merged.split()]
