"""get_pair_counts packs each pair into one int a * 256 + b, which collides once ids pass 255.

Students who think of ids as bytes "optimise" the tuple key away.
"""

TASK = "1.2"
KIND = "mutant"


def get_pair_counts(ids):
    """Count adjacent pairs (bug: keys packed as a * 256 + b)."""
    packed: dict[int, int] = {}
    for a, b in zip(ids, ids[1:]):
        packed[a * 256 + b] = packed.get(a * 256 + b, 0) + 1
    return {(key // 256, key % 256): count for key, count in packed.items()}
