"""One pipeline for live and offline: the analysis of a landmark series, frame by frame or whole."""
