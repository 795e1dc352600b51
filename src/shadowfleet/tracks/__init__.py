"""Tracks and identities: cleaning, segmentation, vessel linking, identity periods, resampling.

Pure functions of Polars frames and configuration (``DESIGN.md`` §2): no I/O.
"""
