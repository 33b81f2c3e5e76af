"""The async SDK: ``AsyncSandbox`` and its sub-modules."""
