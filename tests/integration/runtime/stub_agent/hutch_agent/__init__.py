"""Throwaway stand-in for the real in-sandbox agent, used only by the runtime tests."""
