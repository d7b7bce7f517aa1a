"""PairIndex breaks ties by the greater pair of ids instead of the greater pair of byte strings.

For bytes the two orders agree, so the public tie test passes; merged tokens (ids 256 and up) expose it.
"""

TASK = "1.5"
KIND = "mutant"


class PairIndex:
    def _heap_entry(self, pair, count):
        """The heap entry for ``pair`` (bug: ties ranked by the ids, not the bytes)."""
        return (-count, _LargestFirst(pair), pair)
