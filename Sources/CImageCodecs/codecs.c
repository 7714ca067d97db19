#include "CImageCodecs.h"

int cimg_api_version(void) { return 1; }
