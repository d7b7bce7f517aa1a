"""CharTokenizer sorts the vocabulary it is given, so CharTokenizer("zyx") gives "x" id 0.

A student who learned that from_text sorts thinks the vocabulary is always sorted.
"""

TASK = "1.1"
KIND = "mutant"


class CharTokenizer:
    def __init__(self, chars: str) -> None:
        """Character-level tokenizer (bug: the given order is replaced by sorted order)."""
        seen: set[str] = set()
        for position, char in enumerate(chars):
            if char in seen:
                raise ValueError(f"character {char!r} appears twice in chars (again at position {position})")
            seen.add(char)
        self.chars = "".join(sorted(chars))
        self._id_of_char = {char: index for index, char in enumerate(self.chars)}
