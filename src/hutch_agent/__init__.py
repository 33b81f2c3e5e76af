"""The hutch agent: the first process in every sandbox, serving the agent half of openapi.yaml.

Standard library only, and light to import: the time it takes to answer its first request is part of
a sandbox's cold start, so heavy modules are imported where they are first needed.
"""
