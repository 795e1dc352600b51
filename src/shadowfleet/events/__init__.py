"""Detectors: one module per behaviour, each a pure function of frames and config.

Every detector returns frames in the ``events`` schema (``DESIGN.md`` §3), built by
:func:`shadowfleet.events.common.make_events`, with a content-hash ``event_id``.
"""
