"""Geography: distances, land, ports and anchorages, sea routes, Maritime Identification Digits."""
