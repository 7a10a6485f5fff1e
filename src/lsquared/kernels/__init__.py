"""The hot loops (numba), and nothing else: no parameters, no metadata, no I/O."""
