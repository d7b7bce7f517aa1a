"""Assignment 7: the capstone: the GPT made of your own pieces, trained on Shakespeare."""
