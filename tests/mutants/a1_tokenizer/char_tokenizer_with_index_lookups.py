"""CharTokenizer written with str.index and try/except instead of a lookup dict.

Slower (a linear search per character) but correct: a student who reaches for the string methods writes this.
"""

TASK = "1.1"
KIND = "alternative"


class CharTokenizer:
    def __init__(self, chars: str) -> None:
        """Character-level tokenizer; a repeated character is found with str.index."""
        for position, char in enumerate(chars):
            if chars.index(char) != position:
                raise ValueError(f"character {char!r} appears twice in chars (again at position {position})")
        self.chars = chars

    @classmethod
    def from_text(cls, text: str):
        """The sorted distinct characters of ``text``."""
        return cls("".join(sorted(dict.fromkeys(text))))

    def encode(self, text: str) -> list[int]:
        """Each character's position in ``chars``."""
        ids = []
        for position, char in enumerate(text):
            try:
                ids.append(self.chars.index(char))
            except ValueError:
                raise ValueError(f"unknown character {char!r} at index {position}") from None
        return ids

    def decode(self, ids) -> str:
        """Characters of ``ids``, joined."""
        chars = []
        for token_id in ids:
            if token_id < 0 or token_id >= self.vocab_size:
                raise ValueError(f"bad id {token_id}: expected 0 <= id < {self.vocab_size}")
            chars.append(self.chars[token_id])
        return "".join(chars)
