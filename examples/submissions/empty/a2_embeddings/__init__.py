"""Assignment 2: token embeddings and positional encodings."""
