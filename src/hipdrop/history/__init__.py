"""The local history of sessions, their trend, and the `hipdrop history` command."""
