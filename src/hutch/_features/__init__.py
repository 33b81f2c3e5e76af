"""One module per API feature (spec tag): its options, request building, reply parsing and converters."""
