"""Sanctions lists and screening of vessels against them."""
