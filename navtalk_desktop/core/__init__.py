"""Pure-Python core: protocol, timeline, calls, tools and responders. No Qt, no I/O libraries."""
