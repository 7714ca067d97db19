// C shim over libjpeg(-turbo) and libpng. libjpeg reports fatal errors through a callback that
// must not return (the default calls exit()); Swift cannot call setjmp, so the error manager and
// its setjmp/longjmp live here, and every entry point returns an error code and message instead.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H
#include <stddef.h>

/// Version of the shim's API.
int cimg_api_version(void);

#endif
