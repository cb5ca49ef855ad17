"""Replaying a recorded session as a server."""
