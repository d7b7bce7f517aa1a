"""_merge_pretoken replays every merge in rank order with merge_pair, whether its pair is present or not.

The definition of BPE encoding, written directly: slower, the same tokens.
"""

TASK = "1.7"
KIND = "alternative"


class BPETokenizer:
    def _merge_pretoken(self, pretoken):
        """Encode one pre-token by applying each merge in order."""
        ids = list(pretoken)
        for rank, pair in enumerate(self.merges):
            if len(ids) < 2:
                break
            ids = merge_pair(ids, pair, 256 + rank)
        return ids
