"""Assignment 5: the training loop: batches, loss, schedule, clipping, AdamW and checkpoints."""
