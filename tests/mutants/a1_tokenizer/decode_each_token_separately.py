"""decode turns each id's bytes into text on its own and joins the strings: a character split over ids breaks.

Decoding per token mirrors CharTokenizer; with bytes, half a character is not text.
"""

TASK = "1.7"
KIND = "mutant"


class BPETokenizer:
    def decode(self, ids):
        """Decode ids to text (bug: each token's bytes are decoded on their own)."""
        pieces = []
        for token_id in ids:
            token_bytes = self.vocab.get(token_id)
            if token_bytes is None:
                raise ValueError(f"id {token_id!r} is not in the vocabulary (ids are 0..{self.vocab_size - 1})")
            pieces.append(token_bytes.decode("utf-8", errors="replace"))
        return "".join(pieces)
