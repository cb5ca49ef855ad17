"""Tests for connection."""
