/*
 * any_source: wildcard receives.
 *
 * Every rank 1..N-1 sends its own rank number (one int) to rank 0.  Rank 0
 * receives N-1 messages with MPI_ANY_SOURCE and prints, in arrival order,
 *
 *     received R from rank S
 *
 * (R = the value, S = status.MPI_SOURCE).  It then checks that each rank
 * 1..N-1 was heard from exactly once and that every value equals its source.
 *
 * Success (stdout, exit 0):  any_source: ok, M messages from K ranks
 *                            (M = K = N-1)
 * Failure (stderr, exit 1):  any_source: FAILED ...
 * N < 2   (stderr, exit 2):  any_source: needs at least 2 ranks, got N
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_RANK 17
#define PROBLEM_TEXT 512

/* Append a formatted problem description to buf (truncates silently). */
static void add_problem(char *buf, size_t cap, int *count, const char *what,
                        int a, int b)
{
    size_t used = strlen(buf);
    if (used + 1 < cap) {
        snprintf(buf + used, cap - used, "%s%s %d %d", *count ? "; " : "",
                 what, a, b);
    }
    (*count)++;
}

int main(int argc, char **argv)
{
    int rank = 0;
    int size = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    if (size < 2) {
        /* size < 2 means this process is the only one: rank 0 */
        fprintf(stderr, "any_source: needs at least 2 ranks, got %d\n", size);
        fflush(stderr);
        MPI_Finalize();
        return 2;
    }

    if (rank != 0) {
        int value = rank;
        MPI_Send(&value, 1, MPI_INT, 0, TAG_RANK, MPI_COMM_WORLD);
        MPI_Finalize();
        return 0;
    }

    int *seen = calloc((size_t)size, sizeof *seen);
    if (seen == NULL) {
        fprintf(stderr, "any_source: FAILED, out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
        return 1;
    }

    char problems[PROBLEM_TEXT] = "";
    int nproblems = 0;
    int received = 0;

    for (int i = 0; i < size - 1; i++) {
        int value = -1;
        MPI_Status status;
        MPI_Recv(&value, 1, MPI_INT, MPI_ANY_SOURCE, TAG_RANK, MPI_COMM_WORLD,
                 &status);
        received++;
        int source = status.MPI_SOURCE;
        printf("received %d from rank %d\n", value, source);

        if (source < 1 || source >= size) {
            add_problem(problems, sizeof problems, &nproblems,
                        "unexpected source/value", source, value);
            continue;
        }
        seen[source]++;
        if (value != source) {
            add_problem(problems, sizeof problems, &nproblems,
                        "value/source mismatch", value, source);
        }
    }
    fflush(stdout);

    int distinct = 0;
    for (int r = 1; r < size; r++) {
        if (seen[r] > 0) {
            distinct++;
        }
        if (seen[r] != 1) {
            add_problem(problems, sizeof problems, &nproblems,
                        "rank/times-seen", r, seen[r]);
        }
    }
    free(seen);

    int status_code = 0;
    if (nproblems == 0) {
        printf("any_source: ok, %d messages from %d ranks\n", received,
               distinct);
        fflush(stdout);
    } else {
        fprintf(stderr,
                "any_source: FAILED %d problem(s) after %d messages from %d "
                "ranks: %s\n",
                nproblems, received, distinct, problems);
        fflush(stderr);
        status_code = 1;
    }

    MPI_Finalize();
    return status_code;
}
