"""merge_pair as a for loop that glues onto the last output id, with a flag against overlaps.

A single pass over ids without index arithmetic: correct, and a common way to write it.
"""

TASK = "1.3"
KIND = "alternative"


def merge_pair(ids, pair, new_id):
    """Replace every occurrence of ``pair``, left to right, without overlaps."""
    merged = []
    just_merged = False
    for token_id in ids:
        if merged and not just_merged and merged[-1] == pair[0] and token_id == pair[1]:
            merged[-1] = new_id
            just_merged = True
        else:
            merged.append(token_id)
            just_merged = False
    return merged
