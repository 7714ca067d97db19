// CMPI: the few Open MPI calls SwiftVision's data-parallel training needs, reached through dlopen
// (vmpi.c explains why). Nothing here includes mpi.h: every MPI handle is a `void *` and every
// call returns an MPI error code (0 = MPI_SUCCESS) or one of the VMPI_ERR_* codes below.
// Thread rule: after vmpi_init_thread(VMPI_THREAD_FUNNELED), call MPI only from the thread that
// initialised it.
#ifndef CMPI_H
#define CMPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// MPI's thread levels (Open MPI's mpi.h: SINGLE 0, FUNNELED 1, SERIALIZED 2, MULTIPLE 3).
enum {
    VMPI_THREAD_SINGLE = 0,
    VMPI_THREAD_FUNNELED = 1,
    VMPI_THREAD_SERIALIZED = 2,
    VMPI_THREAD_MULTIPLE = 3,
};

/// Reductions (mapped to ompi_mpi_op_sum / _max / _min).
typedef enum { VMPI_SUM = 0, VMPI_MAX = 1, VMPI_MIN = 2 } vmpi_op;

/// Codes of our own, below MPI's (which are 0...MPI_ERR_LASTCODE).
enum {
    VMPI_ERR_NOT_LOADED = -1,   ///< vmpi_load has not succeeded
    VMPI_ERR_COUNT = -2,        ///< a count above INT_MAX (MPI counts are int)
    VMPI_ERR_ARGUMENT = -3,     ///< an argument out of range (operation, NULL pointer)
};

/// An outstanding nonblocking operation (an MPI_Request); NULL once complete.
typedef void *vmpi_request;

/// Loads Open MPI: `path` if not NULL, else libmpi.so.40 then libmpi.so, with RTLD_NOW | RTLD_GLOBAL,
/// and resolves every function and predefined handle. Idempotent and thread-safe: once loaded,
/// later calls return 0 whatever `path` says. On failure returns nonzero, leaves nothing loaded and
/// writes a message naming the library tried (and dlerror's text or the missing symbol) to `err`.
/// Returns 1 when no library could be opened, 2 when one opened but is not Open MPI 4.x.
int vmpi_load(const char *path, char *err, size_t errlen);

/// 1 when vmpi_load has succeeded.
int vmpi_loaded(void);

/// The file name passed to dlopen by the successful vmpi_load ("" before).
const char *vmpi_library_name(void);

/// MPI_Init_thread(NULL, NULL, required, provided).
int vmpi_init_thread(int required, int *provided);
/// MPI_Initialized / MPI_Finalized (0 in *flag and VMPI_ERR_NOT_LOADED when not loaded).
int vmpi_initialized(int *flag);
int vmpi_finalized(int *flag);
/// MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN): errors return instead of aborting.
int vmpi_errors_return(void);
/// Rank and size in MPI_COMM_WORLD.
int vmpi_rank(int *rank);
int vmpi_size(int *size);
/// MPI_Get_processor_name into `name` (NUL-terminated, truncated to `len`).
int vmpi_get_processor_name(char *name, size_t len);
/// MPI_Error_string of `code` (or our own text for VMPI_ERR_*) into `message`.
void vmpi_error_string(int code, char *message, size_t len);

/// In-place MPI_Allreduce on MPI_COMM_WORLD (MPI_IN_PLACE), blocking with no time bound.
int vmpi_allreduce_f32(float *buffer, size_t count, vmpi_op op);
int vmpi_allreduce_f64(double *buffer, size_t count, vmpi_op op);
int vmpi_allreduce_i64(int64_t *buffer, size_t count, vmpi_op op);
/// In-place MPI_Iallreduce: starts the reduction and stores its request in *request. The buffer
/// must stay alive and untouched until vmpi_test reports completion.
int vmpi_iallreduce_f32(float *buffer, size_t count, vmpi_op op, vmpi_request *request);
int vmpi_iallreduce_f64(double *buffer, size_t count, vmpi_op op, vmpi_request *request);
int vmpi_iallreduce_i64(int64_t *buffer, size_t count, vmpi_op op, vmpi_request *request);
/// MPI_Bcast / MPI_Ibcast of `count` bytes from `root`.
int vmpi_bcast(void *buffer, size_t count, int root);
int vmpi_ibcast(void *buffer, size_t count, int root, vmpi_request *request);
/// MPI_Barrier / MPI_Ibarrier.
int vmpi_barrier(void);
int vmpi_ibarrier(vmpi_request *request);
/// MPI_Test: drives progress; *done = 1 (and *request = NULL) once complete. A NULL request is done.
int vmpi_test(vmpi_request *request, int *done);
/// MPI_Abort(MPI_COMM_WORLD, code): returns only if MPI could not abort.
int vmpi_abort(int code);
/// MPI_Finalize.
int vmpi_finalize(void);

#ifdef __cplusplus
}
#endif
#endif
