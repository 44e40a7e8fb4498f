"""`hipdrop live`: the camera loop, the guided test, and the window."""
