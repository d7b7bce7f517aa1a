"""A negative index is multiplied by the stride as it is, so dataset[-1] slices from before the start.

Python lists handle negative indices for free, so students forget a Dataset must do it itself."""

TASK = "5.2"
KIND = "mutant"


class SlidingWindowDataset:
    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Window ``index`` as ``(x, y)``, both int64 of shape ``(T,)``; negative indices count from the end."""
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"index={index} is out of range for {count} windows")
        start = index * self.stride
        x = _token_window(self.data, start, self.block_size)  # (T,)
        y = _token_window(self.data, start + 1, self.block_size)  # (T,)
        return x, y
