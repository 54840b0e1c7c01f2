"""Sample clips with ground-truth labels, and the synthetic-clip generator that makes them."""
