"""The pure core: landmark arrays in, angles, phases, reps, tiers and findings out (NumPy, no I/O)."""
