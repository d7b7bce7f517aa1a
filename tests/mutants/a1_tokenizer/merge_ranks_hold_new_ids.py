"""BPETokenizer stores each merge's new id (256 + rank) in merge_ranks instead of its rank.

The encoder is consistent with it and works, but merge_ranks is documented as pair -> rank.
"""

TASK = "1.7"
KIND = "mutant"


class BPETokenizer:
    def __init__(self, merges, special_tokens=()):
        """Build the tables (bug: merge_ranks maps a pair to its new id)."""
        self.merges = check_merges(merges)
        self.special_tokens = check_special_tokens(special_tokens)
        self._cache: dict[str, list[int]] = {}
        self.vocab: dict[int, bytes] = {byte: bytes([byte]) for byte in range(256)}
        self.merge_ranks: dict[Pair, int] = {}
        for rank, (a, b) in enumerate(self.merges):
            self.vocab[256 + rank] = self.vocab[a] + self.vocab[b]
            self.merge_ranks[(a, b)] = 256 + rank
        first_special_id = 256 + len(self.merges)
        self.special_token_ids = {token: first_special_id + j for j, token in enumerate(self.special_tokens)}
        for token, token_id in self.special_token_ids.items():
            self.vocab[token_id] = token.encode("utf-8")

    def _merge_pretoken(self, pretoken):
        """Encode one pre-token, merging the pair with the lowest new id first."""
        ids = list(pretoken)
        while len(ids) >= 2:
            pair = min(zip(ids, ids[1:]), key=lambda p: self.merge_ranks.get(p, float("inf")))
            new_id = self.merge_ranks.get(pair)
            if new_id is None:
                break
            ids = merge_pair(ids, pair, new_id)
        return ids
