"""GPT refusing an input of exactly block_size tokens (T >= block_size).

The boundary of "longer than block_size" is easy to get wrong by one.
"""

import torch
import torch.nn.functional as F

TASK = "4.5"
KIND = "mutant"


class GPT:
    def forward(
        self, ids: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Next-token logits for every position, and the loss if targets are given."""
        if ids.dim() != 2:
            raise ValueError(f"ids must have shape (B, T), got shape {tuple(ids.shape)}")
        B, T = ids.shape
        if T >= self.config.block_size:
            raise ValueError(
                f"sequence length T={T} is longer than block_size={self.config.block_size}"
            )
        if targets is not None and targets.shape != ids.shape:
            raise ValueError(
                f"targets shape {tuple(targets.shape)} does not match ids shape {tuple(ids.shape)}"
            )
        x = self.drop(self.tok_emb(ids) + self.pos_emb(T))  # (B, T, d_model)
        for block in self.blocks:
            x = block(x)  # (B, T, d_model)
        logits = self.lm_head(self.ln_f(x))  # (B, T, vocab_size)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.reshape(B * T, -1), targets.reshape(B * T), ignore_index=-100
            )
        return logits, loss
