"""encode merges the bytes of the whole text between special tokens, not each pre-token on its own.

Training used pre-tokens, but encoding "just applies the merges": then "  " can join across a word boundary.
"""

TASK = "1.7"
KIND = "mutant"


class BPETokenizer:
    def encode(self, text):
        """Encode ``text`` to ids (bug: merges run across pre-token boundaries)."""
        ids: list[int] = []
        for piece in split_on_special_tokens(text, self.special_tokens):
            special_id = self.special_token_ids.get(piece)
            if special_id is not None:
                ids.append(special_id)
                continue
            ids.extend(self._merge_pretoken(piece.encode("utf-8")))
        return ids
