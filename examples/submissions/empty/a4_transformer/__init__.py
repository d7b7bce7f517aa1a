"""Assignment 4: LayerNorm, GELU, feed-forward network, transformer block and the GPT."""
