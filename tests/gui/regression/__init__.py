"""Tests for regression."""
