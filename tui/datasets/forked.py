"""A forked child with a pipe back to its parent: the one way the dataset passes fork.

The children only read the dataset file and write to their pipe, so they take no lock the
parent's other threads may hold (imports are made safe by fork itself); Python's warning
about forking a process with threads is silenced for that reason.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from typing import NamedTuple


class Forked(NamedTuple):
    """What `fork_piped` gives each side: the child's pid (0 in the child), this side's end of
    the pipe (the parent reads, the child writes), and whether the pipe took `pipe_bytes`."""

    pid: int
    fd: int
    roomy: bool


def fork_piped(pipe_bytes: int = 0) -> Forked | None:
    """Fork, with a pipe from the child to the parent (of at least `pipe_bytes` where the system
    lets a pipe grow); None, with nothing left open, when the system cannot fork now."""
    read_end, write_end = os.pipe()
    roomy = False
    if pipe_bytes:
        import fcntl  # where there is fork, there is fcntl

        if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux
            with contextlib.suppress(OSError):
                roomy = fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, pipe_bytes) >= pipe_bytes
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid:
        os.close(write_end)
        return Forked(pid, read_end, roomy)
    os.close(read_end)
    return Forked(0, write_end, roomy)
