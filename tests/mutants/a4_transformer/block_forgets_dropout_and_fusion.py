"""TransformerBlock that builds its attention with the defaults: no dropout and no fused path.

Only the arguments every example shows (d_model, n_heads) are passed on.
"""

TASK = "4.4"
KIND = "mutant"


class TransformerBlock:
    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int | None = None,
        dropout: float = 0.0,
        fused_attention: bool = False,
    ) -> None:
        super().__init__()
        self.ln1 = LayerNorm(d_model)
        self.attn = MultiHeadSelfAttention(d_model, n_heads, causal=True)
        self.ln2 = LayerNorm(d_model)
        self.ffn = FeedForward(d_model, d_ff, dropout=dropout)
