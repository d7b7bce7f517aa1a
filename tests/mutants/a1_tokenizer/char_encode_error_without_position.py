"""encode's ValueError names the unknown character but not its position.

The docstring asks for both; the character alone is what most students think of.
"""

TASK = "1.1"
KIND = "mutant"


class CharTokenizer:
    def encode(self, text: str) -> list[int]:
        """Map each character of ``text`` to its id (bug: the error omits the position)."""
        ids = []
        for char in text:
            token_id = self._id_of_char.get(char)
            if token_id is None:
                raise ValueError(f"character {char!r} is not in the vocabulary")
            ids.append(token_id)
        return ids
