"""PairIndex breaks ties the other way: the lexicographically smaller pair of byte strings wins.

heapq pops the smallest entry; pushing (-count, priority) without the wrapper that reverses
the priority looks like the natural way to write a max-count heap, and flips every tie.
"""

TASK = "1.5"
KIND = "mutant"


class PairIndex:
    def _heap_entry(self, pair, count):
        """The heap entry for ``pair`` (bug: equal counts pop the smaller byte strings first)."""
        return (-count, pair_priority(pair, self.vocab), pair)
