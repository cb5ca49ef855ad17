"""Tests for widgets."""
