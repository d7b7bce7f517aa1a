"""len counts (N - T) // stride + 1 windows: the last one has no target for its last position.

Counting windows of T tokens forgets that y needs one more token than x."""

TASK = "5.2"
KIND = "mutant"


class SlidingWindowDataset:
    def __len__(self) -> int:
        """Number of windows, ``(N - T - 1) // stride + 1``."""
        return (len(self.data) - self.block_size) // self.stride + 1
