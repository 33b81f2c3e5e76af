"""The SDK's core, shared by every feature and both flavors: requests, errors, retries, NDJSON, bodies, pools."""
