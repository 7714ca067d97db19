// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Link `openblas`, not `blas`:
// only OpenBLAS exports openblas_set_num_threads / openblas_get_num_threads (declared in cblas.h).
#include <cblas.h>
