"""best_pair returns any popped pair that still has a count, even when the entry's count is out of date.

"Lazy invalidation" half done: the pair is checked for presence, not for its current count.
"""

TASK = "1.5"
KIND = "mutant"


class PairIndex:
    def best_pair(self):
        """Pop the pair to merge next (bug: stale entries of pairs still present are trusted)."""
        while self.heap:
            _, _, pair = heapq.heappop(self.heap)
            if pair in self.pair_counts:
                return pair
        return None
