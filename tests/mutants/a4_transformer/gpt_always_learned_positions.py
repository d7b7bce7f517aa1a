"""GPT that always builds a learned position table, ignoring config.pos_encoding.

The learned table is GPT-2's, and the sinusoidal option is easy to miss in the config.
"""

from torch import nn

TASK = "4.5"
KIND = "mutant"


class GPT:
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.tok_emb = TokenEmbedding(config.vocab_size, config.d_model)
        self.pos_emb = LearnedPositionalEmbedding(config.block_size, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                config.d_model,
                config.n_head,
                d_ff=config.d_ff,
                dropout=config.dropout,
                fused_attention=config.fused_attention,
            )
            for _ in range(config.n_layer)
        )
        self.ln_f = LayerNorm(config.d_model)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.tok_emb.weight
        self.init_weights()
