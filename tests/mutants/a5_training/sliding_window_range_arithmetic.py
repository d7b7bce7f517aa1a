"""SlidingWindowDataset counted with range() and indexed after normalising a negative index.

Letting range(0, N - T, stride) count the starts avoids deriving the floor formula by hand."""

TASK = "5.2"
KIND = "alternative"


class SlidingWindowDataset:
    def __len__(self) -> int:
        """Number of windows: one per start 0, stride, 2 * stride, ... below N - T."""
        return len(range(0, len(self.data) - self.block_size, self.stride))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Window ``index`` as ``(x, y)``, both int64 of shape ``(T,)``."""
        count = len(self)
        position = index + count if index < 0 else index
        if not 0 <= position < count:
            raise IndexError(f"window index {index} out of range for a dataset of {count} windows")
        start = position * self.stride
        window = _token_window(self.data, start, self.block_size + 1)  # (T + 1,)
        return window[:-1], window[1:]
