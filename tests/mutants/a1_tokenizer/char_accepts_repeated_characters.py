"""CharTokenizer accepts a character twice: the later position silently wins its id.

Building the lookup with a dict comprehension looks complete; the duplicate check is easy to forget.
"""

TASK = "1.1"
KIND = "mutant"


class CharTokenizer:
    def __init__(self, chars: str) -> None:
        """Character-level tokenizer (bug: no check for a repeated character)."""
        self.chars = chars
        self._id_of_char = {char: index for index, char in enumerate(chars)}
