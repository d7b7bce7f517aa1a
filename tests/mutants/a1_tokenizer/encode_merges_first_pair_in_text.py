"""_merge_pretoken merges the first pair of the text that is a merge, not the lowest-ranked pair present.

Scanning left to right for "a pair I know" feels natural; merges must be applied in rank order.
"""

TASK = "1.7"
KIND = "mutant"


class BPETokenizer:
    def _merge_pretoken(self, pretoken):
        """Encode one pre-token (bug: merges in text order instead of rank order)."""
        ids = list(pretoken)
        while len(ids) >= 2:
            pair = next((pair for pair in zip(ids, ids[1:]) if pair in self.merge_ranks), None)
            if pair is None:
                break
            ids = merge_pair(ids, pair, 256 + self.merge_ranks[pair])
        return ids
