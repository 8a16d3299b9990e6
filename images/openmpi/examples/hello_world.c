/*
 * hello_world: every rank prints exactly one line
 *
 *     hello from rank R of N on HOSTNAME
 *
 * and exits 0.  HOSTNAME is what MPI_Get_processor_name() reports (Open MPI
 * returns the host name, i.e. the container's host name).
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank = 0;
    int size = 0;
    int name_len = 0;
    char name[MPI_MAX_PROCESSOR_NAME];

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(name, &name_len);
    name[name_len < MPI_MAX_PROCESSOR_NAME ? name_len : MPI_MAX_PROCESSOR_NAME - 1] = '\0';

    printf("hello from rank %d of %d on %s\n", rank, size, name);
    fflush(stdout);

    MPI_Finalize();
    return 0;
}
