"""Assignment 1: tokenizers, from characters to byte-level BPE."""
