"""Explainable vessel risk scoring."""
