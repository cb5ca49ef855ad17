"""Tests for shell."""
