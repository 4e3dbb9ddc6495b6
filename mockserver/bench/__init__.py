"""``mockserver bench``: the emulator under load beside the ceiling of its stack and a peer mock.

Every server under test runs in its own process on a loopback port the OS picks, so that the
load generator never shares a GIL with it; every load runs for a bounded time.
"""
