"""Reading AIS inputs: raw NMEA, provider CSVs and Parquet, into decoded record batches."""
