"""The throughput yardstick: nanoGPT's architecture built from torch's fused kernels.

nanoGPT's train.py cannot be fetched on an offline machine, so this module
rebuilds the same network (pre-LN blocks, no biases, tied embeddings, GELU
MLP, nanoGPT's init) from the kernels nanoGPT itself calls:
``nn.Embedding``, ``F.layer_norm``, ``F.scaled_dot_product_attention``,
``F.cross_entropy`` and ``torch.optim.AdamW``. Timing it beside the course's
reference model shows what the hand-written pieces cost.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class _Attention(nn.Module):
    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False)
        self.proj = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class _Block(nn.Module):
    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model, bias=False)
        self.attn = _Attention(d_model, n_head)
        self.ln2 = nn.LayerNorm(d_model, bias=False)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model, bias=False), nn.GELU(), nn.Linear(4 * d_model, d_model, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class BaselineGPT(nn.Module):
    """nanoGPT's GPT with bias=False (its shakespeare-char setting)."""

    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, d_model: int):
        super().__init__()
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(block_size, d_model)
        self.blocks = nn.ModuleList(_Block(d_model, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d_model, bias=False)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.token.weight = self.head.weight
        for name, parameter in self.named_parameters():
            if parameter.dim() >= 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith(("proj.weight", "mlp.2.weight")) else 0.02
                nn.init.normal_(parameter, mean=0.0, std=std)

    def forward(self, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.token(ids) + self.position(positions)
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def baseline_tokens_per_second(
    train_tokens, *, vocab_size: int, block_size: int, n_layer: int, n_head: int, d_model: int, batch_size: int, steps: int = 100, device: str = "cpu"
) -> float:
    """Train the baseline for ``steps`` steps on random windows and return tokens/s (warm-up excluded)."""
    torch.manual_seed(0)
    model = BaselineGPT(vocab_size, block_size, n_layer, n_head, d_model).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
    data = torch.from_numpy(train_tokens[: 200_000].astype("int64"))
    generator = torch.Generator().manual_seed(0)
    warmup = max(5, steps // 10)
    started = 0.0
    for step in range(steps + warmup):
        if step == warmup:
            started = time.perf_counter()
        starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
        x = torch.stack([data[s : s + block_size] for s in starts]).to(device)
        y = torch.stack([data[s + 1 : s + 1 + block_size] for s in starts]).to(device)
        loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
    return steps * batch_size * block_size / (time.perf_counter() - started)
