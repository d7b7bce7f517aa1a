"""Assignment 3: scaled dot-product attention and multi-head self-attention."""
