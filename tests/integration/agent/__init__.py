"""Tests of the in-sandbox agent, run as a host process and inside real sandboxes."""
