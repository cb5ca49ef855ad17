"""timeline package."""
