// System zlib (Debian: zlib1g-dev), used for gzip'd datasets and PNG-adjacent tooling.
#include <zlib.h>
