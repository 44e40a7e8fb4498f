"""Image measurements around the hip landmarks: the waist line and skin markers."""
