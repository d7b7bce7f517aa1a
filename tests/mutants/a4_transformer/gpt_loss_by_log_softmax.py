"""GPT computing its loss by log_softmax and gather over the kept targets, instead of F.cross_entropy.

The loss written out from its definition, as a student who distrusts black boxes would.
"""

import torch

TASK = "4.5"
KIND = "alternative"


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
        logits = self.lm_head(self.ln_f(x))  # (B, T, vocab_size)
        loss = None
        if targets is not None:
            log_probs = torch.log_softmax(logits.reshape(B * T, -1), dim=-1)  # (B*T, V)
            flat_targets = targets.reshape(B * T)  # (B*T,)
            kept = flat_targets != -100  # (B*T,)
            picked = log_probs[kept].gather(-1, flat_targets[kept].unsqueeze(-1))  # (kept, 1)
            loss = -picked.mean()
        return logits, loss
