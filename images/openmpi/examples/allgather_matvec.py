#!/usr/bin/env python3
"""allgather_matvec: distributed dense matrix-vector product y = A x.

Each rank owns a contiguous block of rows of the n x n matrix A (blocks differ
in size by at most one row, so any n and any rank count work, even n smaller
than the rank count) and the whole vector x.  Every iteration computes the
local block of y and then MPI_Allgatherv's the blocks so that every rank ends
up with all of y.

A and x are defined by a fixed integer formula of the element indices, so
every rank generates exactly its own rows without communication and the
result does not depend on the number of ranks.  Rank 0 computes the reference
y with numpy row chunk by row chunk, broadcasts it, and every rank compares its
gathered y with it; max_error is the largest absolute difference on any rank.

Rank 0 prints exactly one line on stdout:

  allgather_matvec: n=N ranks=P repeat=R time_per_iteration_ms=T max_error=E verified

(T with 3 decimals, the slowest rank's mean time per iteration; E in %.3e
format) and every rank exits 0, or the same line ending in FAILED and every
rank exits 1 when max_error > 1e-9 * n.  A bad option prints one line on
stderr (rank 0) and every rank exits 2.
"""

import argparse
import sys

import numpy as np
from mpi4py import MPI

PROG = "allgather_matvec"
DEFAULT_SIZE = 2000
DEFAULT_REPEAT = 10
TOLERANCE_PER_ROW = 1e-9  # fail when max_error > TOLERANCE_PER_ROW * n
REFERENCE_CHUNK_ROWS = 256  # rows per chunk when rank 0 builds the reference


class UsageError(Exception):
    """A bad command line; the message is a single line."""


class QuietParser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage on every rank."""

    def error(self, message):
        raise UsageError(message)


def positive_int(text):
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parse_args(argv):
    parser = QuietParser(
        prog=PROG,
        description="Distributed y = A x with MPI_Allgatherv of row blocks.",
        add_help=False,
    )
    parser.add_argument("-h", "--help", action="store_true",
                        help="show this help on rank 0 and exit")
    parser.add_argument("--size", type=positive_int, default=DEFAULT_SIZE,
                        help=f"matrix dimension n (default {DEFAULT_SIZE})")
    parser.add_argument("--repeat", type=positive_int, default=DEFAULT_REPEAT,
                        help=f"timed iterations (default {DEFAULT_REPEAT})")
    return parser, parser.parse_args(argv)


def block_layout(n, nranks):
    """Row counts and first-row offsets of each rank's contiguous block."""
    base, extra = divmod(n, nranks)
    counts = np.array([base + (1 if r < extra else 0) for r in range(nranks)],
                      dtype=np.int64)
    displs = np.zeros(nranks, dtype=np.int64)
    displs[1:] = np.cumsum(counts)[:-1]
    return counts, displs


def matrix_rows(first, stop, n):
    """Rows first..stop-1 of A; entries in [-0.5, 0.5)."""
    i = np.arange(first, stop, dtype=np.int64)[:, None]
    j = np.arange(n, dtype=np.int64)[None, :]
    h = (i * 2654435761 + j * 40503 + (i % 97) * (j % 89) + 12345) % 65521
    return h.astype(np.float64) / 65521.0 - 0.5


def vector_x(n):
    j = np.arange(n, dtype=np.int64)
    return ((j * 7919 + 3) % 1009).astype(np.float64) / 1009.0 - 0.5


def reference_product(n, x):
    y = np.empty(n, dtype=np.float64)
    for first in range(0, n, REFERENCE_CHUNK_ROWS):
        stop = min(n, first + REFERENCE_CHUNK_ROWS)
        y[first:stop] = matrix_rows(first, stop, n) @ x
    return y


def main(argv):
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    nranks = comm.Get_size()

    try:
        parser, args = parse_args(argv)
    except UsageError as exc:
        if rank == 0:
            print(f"{PROG}: error: {exc}", file=sys.stderr, flush=True)
        return 2
    if args.help:
        if rank == 0:
            print(parser.format_help(), end="", flush=True)
        return 0

    n = args.size
    repeat = args.repeat
    counts, displs = block_layout(n, nranks)
    first = int(displs[rank])
    stop = first + int(counts[rank])

    a_local = np.ascontiguousarray(matrix_rows(first, stop, n))
    x = vector_x(n)
    y_local = np.empty(stop - first, dtype=np.float64)
    y = np.empty(n, dtype=np.float64)
    recv_spec = [y, (counts.tolist(), displs.tolist()), MPI.DOUBLE]

    comm.Barrier()
    t0 = MPI.Wtime()
    for _ in range(repeat):
        np.dot(a_local, x, out=y_local)
        comm.Allgatherv([y_local, MPI.DOUBLE], recv_spec)
    elapsed = MPI.Wtime() - t0
    slowest = comm.allreduce(elapsed, op=MPI.MAX)

    y_ref = reference_product(n, x) if rank == 0 else np.empty(n, dtype=np.float64)
    comm.Bcast([y_ref, MPI.DOUBLE], root=0)
    local_error = float(np.max(np.abs(y - y_ref))) if n else 0.0
    if not np.isfinite(local_error):
        local_error = float("inf")
    max_error = comm.allreduce(local_error, op=MPI.MAX)

    ok = max_error <= TOLERANCE_PER_ROW * n
    if rank == 0:
        print(f"{PROG}: n={n} ranks={nranks} repeat={repeat} "
              f"time_per_iteration_ms={slowest / repeat * 1e3:.3f} "
              f"max_error={max_error:.3e} {'verified' if ok else 'FAILED'}",
              flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
