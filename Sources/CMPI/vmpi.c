// Open MPI through dlopen.
//
// Design. SwiftVision must build, test and run on a machine without Open MPI: only a process that
// mpirun started ever talks to MPI. A system-library target over mpi.h would make libopenmpi-dev a
// build dependency and libmpi a load-time one of every binary, so instead this file loads libmpi
// at run time (vmpi_load) and calls it through function pointers from dlsym.
//
// - RTLD_NOW | RTLD_GLOBAL. Open MPI opens its own plugins (mca_btl_vader.so, mca_coll_libnbc.so,
//   ...) with dlopen. Debian's 4.1 plugins list libmpi.so.40 as a needed library and load even
//   under RTLD_LOCAL (tried), but builds whose plugins are not linked that way resolve libmpi's and
//   libopen-pal's symbols from the global scope, and under RTLD_LOCAL fail in MPI_Init with
//   "mca_base_component_repository_open: unable to open ...: undefined symbol: opal_..." (the
//   problem mpi4py and every other dlopen-ing host has met). GLOBAL works for both. RTLD_NOW makes
//   a broken install fail here, with dlerror's text, rather than at the first call.
// - The predefined handles. mpi.h defines MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ... as macros that
//   take the address of a global in libmpi (`&ompi_mpi_comm_world`, OMPI_PREDEFINED_GLOBAL), so the
//   handle is what dlsym returns for that symbol's name. All Open MPI handles are pointers
//   (void * here), MPI_STATUS_IGNORE is NULL, MPI_IN_PLACE is (void *)1, MPI_SUCCESS is 0 (Open
//   MPI 4.1's mpi.h). These are Open MPI's ABI: MPICH has integer handles and none of these
//   symbols, and is refused by name (a missing ompi_mpi_comm_world).
// - A finished MPI_Test sets the request to MPI_REQUEST_NULL (&ompi_request_null); we report NULL
//   instead so callers need no handle of Open MPI's to compare with.
// - vmpi_load runs under a mutex and publishes its table with a release store: any thread may ask
//   whether MPI is loaded; the MPI calls themselves follow the caller's thread rule (FUNNELED).

#include "CMPI.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef void *handle;

struct vmpi_table {
    int (*init_thread)(int *, char ***, int, int *);
    int (*initialized)(int *);
    int (*finalized)(int *);
    int (*finalize)(void);
    int (*comm_rank)(handle, int *);
    int (*comm_size)(handle, int *);
    int (*comm_set_errhandler)(handle, handle);
    int (*get_processor_name)(char *, int *);
    int (*error_string)(int, char *, int *);
    int (*allreduce)(const void *, void *, int, handle, handle, handle);
    int (*iallreduce)(const void *, void *, int, handle, handle, handle, handle *);
    int (*bcast)(void *, int, handle, int, handle);
    int (*ibcast)(void *, int, handle, int, handle, handle *);
    int (*barrier)(handle);
    int (*ibarrier)(handle, handle *);
    int (*test)(handle *, int *, void *);
    int (*abort)(handle, int);
    handle comm_world, errors_return, request_null;
    handle t_float, t_double, t_int64, t_byte;
    handle op_sum, op_max, op_min;
};

static struct vmpi_table mpi;
static int loaded;  // read with acquire, written with release under load_lock
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static char library_name[512];

#define MPI_IN_PLACE_ ((void *)1)

static int is_loaded(void) { return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE); }

// Resolves `name` into *slot; on failure writes the message and returns 0.
static int resolve(void *lib, const char *file, const char *name, void **slot, char *err, size_t errlen) {
    dlerror();
    *slot = dlsym(lib, name);
    if (*slot) return 1;
    snprintf(err, errlen,
             "%s has no symbol %s: it is not Open MPI 4.x (MPICH and other MPIs are not supported)", file, name);
    return 0;
}

static int resolve_all(void *lib, const char *file, struct vmpi_table *t, char *err, size_t errlen) {
#define R(field, name) if (!resolve(lib, file, name, (void **)&t->field, err, errlen)) return 0
    R(init_thread, "MPI_Init_thread");
    R(initialized, "MPI_Initialized");
    R(finalized, "MPI_Finalized");
    R(finalize, "MPI_Finalize");
    R(comm_rank, "MPI_Comm_rank");
    R(comm_size, "MPI_Comm_size");
    R(comm_set_errhandler, "MPI_Comm_set_errhandler");
    R(get_processor_name, "MPI_Get_processor_name");
    R(error_string, "MPI_Error_string");
    R(allreduce, "MPI_Allreduce");
    R(iallreduce, "MPI_Iallreduce");
    R(bcast, "MPI_Bcast");
    R(ibcast, "MPI_Ibcast");
    R(barrier, "MPI_Barrier");
    R(ibarrier, "MPI_Ibarrier");
    R(test, "MPI_Test");
    R(abort, "MPI_Abort");
    R(comm_world, "ompi_mpi_comm_world");
    R(errors_return, "ompi_mpi_errors_return");
    R(request_null, "ompi_request_null");
    R(t_float, "ompi_mpi_float");
    R(t_double, "ompi_mpi_double");
    R(t_byte, "ompi_mpi_byte");
    R(op_sum, "ompi_mpi_op_sum");
    R(op_max, "ompi_mpi_op_max");
    R(op_min, "ompi_mpi_op_min");
#undef R
    dlerror();
    t->t_int64 = dlsym(lib, "ompi_mpi_int64_t");
    if (!t->t_int64 && !resolve(lib, file, "ompi_mpi_long_long_int", &t->t_int64, err, errlen)) return 0;
    return 1;
}

int vmpi_load(const char *path, char *err, size_t errlen) {
    if (is_loaded()) return 0;
    pthread_mutex_lock(&load_lock);
    int status = 0;
    if (!loaded) {
        const char *defaults[] = {"libmpi.so.40", "libmpi.so"};
        const char *const *candidates = path ? &path : defaults;
        size_t n = path ? 1 : 2;
        void *lib = NULL;
        const char *file = NULL;
        char first_error[512] = "";
        for (size_t i = 0; i < n && !lib; i++) {
            lib = dlopen(candidates[i], RTLD_NOW | RTLD_GLOBAL);
            if (lib) file = candidates[i];
            else if (i == 0) { const char *e = dlerror(); snprintf(first_error, sizeof first_error, "%s", e ? e : "?"); }
        }
        if (!lib) {
            if (path) snprintf(err, errlen, "cannot load Open MPI from %s: %s", path, first_error);
            else snprintf(err, errlen, "cannot load Open MPI: neither libmpi.so.40 nor libmpi.so could be opened (%s)",
                          first_error);
            status = 1;
        } else {
            struct vmpi_table t;
            memset(&t, 0, sizeof t);
            if (resolve_all(lib, file, &t, err, errlen)) {
                mpi = t;
                snprintf(library_name, sizeof library_name, "%s", file);
                __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
            } else {
                dlclose(lib);
                status = 2;
            }
        }
    }
    pthread_mutex_unlock(&load_lock);
    return status;
}

int vmpi_loaded(void) { return is_loaded(); }

const char *vmpi_library_name(void) { return is_loaded() ? library_name : ""; }

#define NEED_LOADED() do { if (!is_loaded()) return VMPI_ERR_NOT_LOADED; } while (0)

int vmpi_init_thread(int required, int *provided) {
    NEED_LOADED();
    if (!provided) return VMPI_ERR_ARGUMENT;
    return mpi.init_thread(NULL, NULL, required, provided);
}

int vmpi_initialized(int *flag) {
    if (!flag) return VMPI_ERR_ARGUMENT;
    *flag = 0;
    NEED_LOADED();
    return mpi.initialized(flag);
}

int vmpi_finalized(int *flag) {
    if (!flag) return VMPI_ERR_ARGUMENT;
    *flag = 0;
    NEED_LOADED();
    return mpi.finalized(flag);
}

int vmpi_errors_return(void) {
    NEED_LOADED();
    return mpi.comm_set_errhandler(mpi.comm_world, mpi.errors_return);
}

int vmpi_rank(int *rank) {
    NEED_LOADED();
    return rank ? mpi.comm_rank(mpi.comm_world, rank) : VMPI_ERR_ARGUMENT;
}

int vmpi_size(int *size) {
    NEED_LOADED();
    return size ? mpi.comm_size(mpi.comm_world, size) : VMPI_ERR_ARGUMENT;
}

int vmpi_get_processor_name(char *name, size_t len) {
    NEED_LOADED();
    if (!name || len == 0) return VMPI_ERR_ARGUMENT;
    char buffer[1024] = "";  // MPI_MAX_PROCESSOR_NAME is 256 in Open MPI 4.x
    int n = 0;
    int rc = mpi.get_processor_name(buffer, &n);
    buffer[sizeof buffer - 1] = 0;
    snprintf(name, len, "%s", rc == 0 ? buffer : "");
    return rc;
}

void vmpi_error_string(int code, char *message, size_t len) {
    if (!message || len == 0) return;
    switch (code) {
    case VMPI_ERR_NOT_LOADED: snprintf(message, len, "Open MPI is not loaded"); return;
    case VMPI_ERR_COUNT: snprintf(message, len, "more than %d elements in one MPI call", INT_MAX); return;
    case VMPI_ERR_ARGUMENT: snprintf(message, len, "invalid argument"); return;
    }
    if (!is_loaded()) { snprintf(message, len, "MPI error %d", code); return; }
    char buffer[1024] = "";  // MPI_MAX_ERROR_STRING is 256 in Open MPI 4.x
    int n = 0;
    if (mpi.error_string(code, buffer, &n) != 0) snprintf(buffer, sizeof buffer, "MPI error %d", code);
    buffer[sizeof buffer - 1] = 0;
    snprintf(message, len, "%s", buffer);
}

static handle op_handle(vmpi_op op) {
    switch (op) {
    case VMPI_SUM: return mpi.op_sum;
    case VMPI_MAX: return mpi.op_max;
    case VMPI_MIN: return mpi.op_min;
    }
    return NULL;
}

static int allreduce(void *buffer, size_t count, handle type, vmpi_op op) {
    NEED_LOADED();
    handle o = op_handle(op);
    if (!o || (!buffer && count)) return VMPI_ERR_ARGUMENT;
    if (count > INT_MAX) return VMPI_ERR_COUNT;
    return mpi.allreduce(MPI_IN_PLACE_, buffer, (int)count, type, o, mpi.comm_world);
}

static int iallreduce(void *buffer, size_t count, handle type, vmpi_op op, vmpi_request *request) {
    NEED_LOADED();
    handle o = op_handle(op);
    if (!o || !request || (!buffer && count)) return VMPI_ERR_ARGUMENT;
    if (count > INT_MAX) return VMPI_ERR_COUNT;
    *request = NULL;
    return mpi.iallreduce(MPI_IN_PLACE_, buffer, (int)count, type, o, mpi.comm_world, request);
}

int vmpi_allreduce_f32(float *b, size_t n, vmpi_op op) { return allreduce(b, n, mpi.t_float, op); }
int vmpi_allreduce_f64(double *b, size_t n, vmpi_op op) { return allreduce(b, n, mpi.t_double, op); }
int vmpi_allreduce_i64(int64_t *b, size_t n, vmpi_op op) { return allreduce(b, n, mpi.t_int64, op); }
int vmpi_iallreduce_f32(float *b, size_t n, vmpi_op op, vmpi_request *r) { return iallreduce(b, n, mpi.t_float, op, r); }
int vmpi_iallreduce_f64(double *b, size_t n, vmpi_op op, vmpi_request *r) { return iallreduce(b, n, mpi.t_double, op, r); }
int vmpi_iallreduce_i64(int64_t *b, size_t n, vmpi_op op, vmpi_request *r) { return iallreduce(b, n, mpi.t_int64, op, r); }

int vmpi_bcast(void *buffer, size_t count, int root) {
    NEED_LOADED();
    if (!buffer && count) return VMPI_ERR_ARGUMENT;
    if (count > INT_MAX) return VMPI_ERR_COUNT;
    return mpi.bcast(buffer, (int)count, mpi.t_byte, root, mpi.comm_world);
}

int vmpi_ibcast(void *buffer, size_t count, int root, vmpi_request *request) {
    NEED_LOADED();
    if (!request || (!buffer && count)) return VMPI_ERR_ARGUMENT;
    if (count > INT_MAX) return VMPI_ERR_COUNT;
    *request = NULL;
    return mpi.ibcast(buffer, (int)count, mpi.t_byte, root, mpi.comm_world, request);
}

int vmpi_barrier(void) {
    NEED_LOADED();
    return mpi.barrier(mpi.comm_world);
}

int vmpi_ibarrier(vmpi_request *request) {
    NEED_LOADED();
    if (!request) return VMPI_ERR_ARGUMENT;
    *request = NULL;
    return mpi.ibarrier(mpi.comm_world, request);
}

int vmpi_test(vmpi_request *request, int *done) {
    if (!request || !done) return VMPI_ERR_ARGUMENT;
    *done = 0;
    if (*request == NULL || (is_loaded() && *request == mpi.request_null)) {
        *request = NULL;
        *done = 1;
        return 0;
    }
    NEED_LOADED();
    int rc = mpi.test(request, done, NULL);  // NULL: MPI_STATUS_IGNORE
    if (rc == 0 && *done) *request = NULL;
    return rc;
}

int vmpi_abort(int code) {
    NEED_LOADED();
    return mpi.abort(mpi.comm_world, code);
}

int vmpi_finalize(void) {
    NEED_LOADED();
    return mpi.finalize();
}
