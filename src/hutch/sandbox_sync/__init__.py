"""The sync SDK: ``Sandbox`` and its sub-modules."""
