"""shadowfleet: find ships that evade sanctions at sea, from AIS data."""

__version__ = "0.1.0"
