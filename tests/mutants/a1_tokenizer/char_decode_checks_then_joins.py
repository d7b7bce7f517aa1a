"""decode checks every id in one pass and joins in a second: a generator is empty by then.

Validating first and building afterwards is a common pattern; it assumes ids can be read twice.
"""

TASK = "1.1"
KIND = "mutant"


class CharTokenizer:
    def decode(self, ids) -> str:
        """Map ids back to characters (bug: reads ``ids`` twice)."""
        for token_id in ids:
            if not 0 <= token_id < len(self.chars):
                raise ValueError(f"id {token_id} is not in the vocabulary (ids are 0..{len(self.chars) - 1})")
        return "".join(self.chars[token_id] for token_id in ids)
