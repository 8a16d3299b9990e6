/*
 * pingpong: point-to-point latency, bandwidth and bidirectional bandwidth
 * between rank 0 and rank 1 (in the style of the OSU micro-benchmarks).
 * Ranks 2..N-1 take no part and only wait at a final barrier.
 *
 * Usage: pingpong [--max-size BYTES] [--iterations N]
 *
 *   --max-size BYTES   largest message size (default 1048576); sizes are
 *                      1, 2, 4, ... and BYTES itself if it is not a power of 2
 *   --iterations N     timed iterations per size (default 100); sizes above
 *                      64 KiB use max(10, N/10) (never more than N)
 *
 * Each size is preceded by untimed warm-up iterations (10, or 2 above 64 KiB).
 *
 *   latency    half the round-trip time of a blocking send/recv, in us
 *   bandwidth  rank 0 posts a window of 64 MPI_Isend, rank 1 a window of 64
 *              MPI_Irecv, then rank 1 returns a small ack; MB/s, MB = 1e6 B
 *   bibw       both ranks post a window of 64 receives and 64 sends at once;
 *              MB/s counting the bytes of both directions
 * (the window shrinks for messages above 4 MiB so that the receive window
 *  stays at most 256 MiB)
 *
 * Output of rank 0 (stdout):
 *   # pingpong: rank 0 on HOST0, rank 1 on HOST1
 *   # size(B) latency(us) bandwidth(MB/s) bibw(MB/s)
 *   1 1.23 4.56 7.89
 *   ...
 *
 * Errors: fewer than 2 ranks or a bad option print one line on stderr and
 * every rank exits 2.  A corrupted echo in the latency test prints
 * "pingpong: FAILED ..." and aborts with status 1.
 */
#include <mpi.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_SIZE 1048576L
#define DEFAULT_ITERATIONS 100L
#define MAX_SIZE_LIMIT (1L << 30)
#define MAX_ITERATIONS 100000000L
#define LARGE_MESSAGE 65536L
#define WARMUP_SMALL 10L
#define WARMUP_LARGE 2L
#define WINDOW 64L
#define WINDOW_BYTES_CAP (256L << 20)

#define TAG_NAME 1
#define TAG_PING 2
#define TAG_BW 3
#define TAG_ACK 4
#define TAG_BIBW 5

struct options {
    long max_size;
    long iterations;
    int help;
};

enum parse_result { PARSE_OK, PARSE_ERROR };

static int parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min ||
        value > max) {
        return -1;
    }
    *out = value;
    return 0;
}

/*
 * Parses argv into opts.  On error writes a one-line message (without the
 * newline) into err and returns PARSE_ERROR.
 */
static enum parse_result parse_args(int argc, char **argv,
                                    struct options *opts, char *err,
                                    size_t errlen)
{
    opts->max_size = DEFAULT_MAX_SIZE;
    opts->iterations = DEFAULT_ITERATIONS;
    opts->help = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        long *target = NULL;
        long min = 1;
        long max = 0;
        const char *name = NULL;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            opts->help = 1;
            continue;
        }
        if (strncmp(arg, "--max-size", 10) == 0 &&
            (arg[10] == '\0' || arg[10] == '=')) {
            name = "--max-size";
            target = &opts->max_size;
            max = MAX_SIZE_LIMIT;
            value = arg[10] == '=' ? arg + 11 : NULL;
        } else if (strncmp(arg, "--iterations", 12) == 0 &&
                   (arg[12] == '\0' || arg[12] == '=')) {
            name = "--iterations";
            target = &opts->iterations;
            max = MAX_ITERATIONS;
            value = arg[12] == '=' ? arg + 13 : NULL;
        } else {
            snprintf(err, errlen,
                     "pingpong: unknown option '%s' (usage: pingpong "
                     "[--max-size BYTES] [--iterations N])",
                     arg);
            return PARSE_ERROR;
        }

        if (value == NULL) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "pingpong: option %s needs a value",
                         name);
                return PARSE_ERROR;
            }
            value = argv[++i];
        }
        if (parse_long(value, min, max, target) != 0) {
            snprintf(err, errlen,
                     "pingpong: invalid value '%s' for %s (expected an "
                     "integer from %ld to %ld)",
                     value, name, min, max);
            return PARSE_ERROR;
        }
    }
    return PARSE_OK;
}

static long window_for(long size)
{
    if (size * WINDOW <= WINDOW_BYTES_CAP) {
        return WINDOW;
    }
    long w = WINDOW_BYTES_CAP / size;
    return w < 1 ? 1 : w;
}

static long next_size(long size, long max_size)
{
    return size > max_size / 2 ? max_size : size * 2;
}

static void *checked_malloc(size_t bytes)
{
    void *p = malloc(bytes);
    if (p == NULL) {
        fprintf(stderr, "pingpong: FAILED, cannot allocate %zu bytes\n",
                bytes);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return p;
}

/* Half round-trip time in microseconds (meaningful on rank 0). */
static double run_latency(MPI_Comm pair, int me, char *sbuf, char *rbuf,
                          long size, long warmup, long iters)
{
    int count = (int)size;
    double t0 = 0.0;

    MPI_Barrier(pair);
    for (long i = 0; i < warmup + iters; i++) {
        if (i == warmup) {
            t0 = MPI_Wtime();
        }
        if (me == 0) {
            MPI_Send(sbuf, count, MPI_BYTE, 1, TAG_PING, pair);
            MPI_Recv(rbuf, count, MPI_BYTE, 1, TAG_PING, pair,
                     MPI_STATUS_IGNORE);
        } else {
            /* echo back exactly what arrived, so rank 0 can check it */
            MPI_Recv(rbuf, count, MPI_BYTE, 0, TAG_PING, pair,
                     MPI_STATUS_IGNORE);
            MPI_Send(rbuf, count, MPI_BYTE, 0, TAG_PING, pair);
        }
    }
    double elapsed = MPI_Wtime() - t0;

    if (me == 0 && memcmp(sbuf, rbuf, (size_t)size) != 0) {
        fprintf(stderr, "pingpong: FAILED, echoed data differ at size %ld\n",
                size);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return elapsed * 1e6 / (2.0 * (double)iters);
}

/* Unidirectional bandwidth in MB/s (meaningful on rank 0). */
static double run_bandwidth(MPI_Comm pair, int me, char *sbuf, char *rbuf,
                            long size, long window, long warmup, long iters,
                            MPI_Request *reqs)
{
    int count = (int)size;
    int nreq = (int)window;
    int ack = 0;
    double t0 = 0.0;

    MPI_Barrier(pair);
    for (long i = 0; i < warmup + iters; i++) {
        if (i == warmup) {
            t0 = MPI_Wtime();
        }
        if (me == 0) {
            for (int w = 0; w < nreq; w++) {
                /* all sends may share one buffer: it is only read */
                MPI_Isend(sbuf, count, MPI_BYTE, 1, TAG_BW, pair, &reqs[w]);
            }
            MPI_Waitall(nreq, reqs, MPI_STATUSES_IGNORE);
            MPI_Recv(&ack, 1, MPI_INT, 1, TAG_ACK, pair, MPI_STATUS_IGNORE);
        } else {
            for (int w = 0; w < nreq; w++) {
                MPI_Irecv(rbuf + (size_t)w * (size_t)size, count, MPI_BYTE, 0,
                          TAG_BW, pair, &reqs[w]);
            }
            MPI_Waitall(nreq, reqs, MPI_STATUSES_IGNORE);
            MPI_Send(&ack, 1, MPI_INT, 0, TAG_ACK, pair);
        }
    }
    double elapsed = MPI_Wtime() - t0;
    double bytes = (double)size * (double)window * (double)iters;
    return elapsed > 0.0 ? bytes / elapsed / 1e6 : 0.0;
}

/* Bidirectional bandwidth in MB/s, both directions counted (rank 0). */
static double run_bibw(MPI_Comm pair, int me, char *sbuf, char *rbuf,
                       long size, long window, long warmup, long iters,
                       MPI_Request *reqs)
{
    int count = (int)size;
    int nreq = (int)window;
    int peer = 1 - me;
    double t0 = 0.0;

    MPI_Barrier(pair);
    for (long i = 0; i < warmup + iters; i++) {
        if (i == warmup) {
            t0 = MPI_Wtime();
        }
        for (int w = 0; w < nreq; w++) {
            MPI_Irecv(rbuf + (size_t)w * (size_t)size, count, MPI_BYTE, peer,
                      TAG_BIBW, pair, &reqs[w]);
        }
        for (int w = 0; w < nreq; w++) {
            MPI_Isend(sbuf, count, MPI_BYTE, peer, TAG_BIBW, pair,
                      &reqs[nreq + w]);
        }
        MPI_Waitall(2 * nreq, reqs, MPI_STATUSES_IGNORE);
    }
    double elapsed = MPI_Wtime() - t0;
    double bytes = 2.0 * (double)size * (double)window * (double)iters;
    return elapsed > 0.0 ? bytes / elapsed / 1e6 : 0.0;
}

int main(int argc, char **argv)
{
    int rank = 0;
    int nranks = 0;
    struct options opts;
    char err[512] = "";

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);

    /* every rank parses the same argv, so all of them take the same path */
    if (parse_args(argc, argv, &opts, err, sizeof err) != PARSE_OK) {
        if (rank == 0) {
            fprintf(stderr, "%s\n", err);
            fflush(stderr);
        }
        MPI_Finalize();
        return 2;
    }
    if (opts.help) {
        if (rank == 0) {
            printf("usage: pingpong [--max-size BYTES] [--iterations N]\n"
                   "  --max-size BYTES  largest message (default %ld)\n"
                   "  --iterations N    timed iterations per size (default "
                   "%ld; max(10, N/10) above %ld bytes)\n",
                   DEFAULT_MAX_SIZE, DEFAULT_ITERATIONS, LARGE_MESSAGE);
            fflush(stdout);
        }
        MPI_Finalize();
        return 0;
    }
    if (nranks < 2) {
        fprintf(stderr, "pingpong: needs at least 2 ranks, got %d\n", nranks);
        fflush(stderr);
        MPI_Finalize();
        return 2;
    }

    MPI_Comm pair = MPI_COMM_NULL;
    MPI_Comm_split(MPI_COMM_WORLD, rank < 2 ? 0 : MPI_UNDEFINED, rank, &pair);

    if (pair != MPI_COMM_NULL) {
        int me = rank; /* 0 or 1, same as in MPI_COMM_WORLD */
        char host[MPI_MAX_PROCESSOR_NAME];
        char peer_host[MPI_MAX_PROCESSOR_NAME];
        int host_len = 0;

        MPI_Get_processor_name(host, &host_len);
        host[host_len < MPI_MAX_PROCESSOR_NAME ? host_len
                                               : MPI_MAX_PROCESSOR_NAME - 1] =
            '\0';
        if (me == 1) {
            MPI_Send(host, MPI_MAX_PROCESSOR_NAME, MPI_BYTE, 0, TAG_NAME, pair);
        } else {
            MPI_Recv(peer_host, MPI_MAX_PROCESSOR_NAME, MPI_BYTE, 1, TAG_NAME,
                     pair, MPI_STATUS_IGNORE);
            peer_host[MPI_MAX_PROCESSOR_NAME - 1] = '\0';
            printf("# pingpong: rank 0 on %s, rank 1 on %s\n", host,
                   peer_host);
            printf("# size(B) latency(us) bandwidth(MB/s) bibw(MB/s)\n");
            fflush(stdout);
        }

        /* largest receive window over all sizes */
        size_t rbuf_bytes = 0;
        for (long s = 1;; s = next_size(s, opts.max_size)) {
            size_t need = (size_t)s * (size_t)window_for(s);
            if (need > rbuf_bytes) {
                rbuf_bytes = need;
            }
            if (s == opts.max_size) {
                break;
            }
        }

        char *sbuf = checked_malloc((size_t)opts.max_size);
        char *rbuf = checked_malloc(rbuf_bytes);
        MPI_Request *reqs = checked_malloc(2 * (size_t)WINDOW * sizeof *reqs);
        for (long i = 0; i < opts.max_size; i++) {
            sbuf[i] = (char)((i * 31 + 7) & 0x7f);
        }
        memset(rbuf, 0, rbuf_bytes);

        long large_iters = opts.iterations / 10;
        if (large_iters < 10) {
            large_iters = 10;
        }
        if (large_iters > opts.iterations) {
            large_iters = opts.iterations;
        }

        for (long s = 1;; s = next_size(s, opts.max_size)) {
            int large = s > LARGE_MESSAGE;
            long iters = large ? large_iters : opts.iterations;
            long warmup = large ? WARMUP_LARGE : WARMUP_SMALL;
            long window = window_for(s);

            double lat = run_latency(pair, me, sbuf, rbuf, s, warmup, iters);
            double bw = run_bandwidth(pair, me, sbuf, rbuf, s, window, warmup,
                                      iters, reqs);
            double bibw = run_bibw(pair, me, sbuf, rbuf, s, window, warmup,
                                   iters, reqs);
            if (me == 0) {
                printf("%ld %.2f %.2f %.2f\n", s, lat, bw, bibw);
                fflush(stdout);
            }
            if (s == opts.max_size) {
                break;
            }
        }

        free(reqs);
        free(rbuf);
        free(sbuf);
        MPI_Comm_free(&pair);
    }

    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
