"""Training jobs and model versions (the training engine issue fills these in)."""
