"""The edges: video files and cameras, the pose model and its registry, checked inputs,
atomic outputs, stop signals."""
