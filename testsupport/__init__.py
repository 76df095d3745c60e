"""What the test suite and the benchmarks share: a real throwaway redis-server, and a
redis-py connection that counts what it sends.

A package of its own so that neither suite imports the other; never shipped in the wheel.
"""
