"""regression package."""
