"""GPT feeding the last block's output straight to lm_head, without ln_f.

Pre-LN needs a final LayerNorm that the 2017 post-LN diagrams do not show.
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
        if T > self.config.block_size:
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
        logits = self.lm_head(x)  # (B, T, vocab_size)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.reshape(B * T, -1), targets.reshape(B * T), ignore_index=-100
            )
        return logits, loss
