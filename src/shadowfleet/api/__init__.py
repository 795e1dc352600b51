"""HTTP API and web application over a store (``shadowfleet serve``)."""
