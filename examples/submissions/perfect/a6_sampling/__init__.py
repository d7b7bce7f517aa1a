"""Assignment 6: turning next-token logits into text: greedy, temperature, top-k, top-p."""
