"""Responders: the ways a tool's call can be answered, and the chain that tries them in order."""
