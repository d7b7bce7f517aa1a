"""get_pair_counts as one Counter over the pairs of an index loop.

The standard library's Counter does the counting: a correct one-liner.
"""

from collections import Counter

TASK = "1.2"
KIND = "alternative"


def get_pair_counts(ids):
    """Count adjacent pairs with a Counter."""
    return Counter((ids[i], ids[i + 1]) for i in range(len(ids) - 1))
