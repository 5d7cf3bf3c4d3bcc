// c_last_error.h on POSIX: errno.
#include <cerrno>

#include "host/bind/c_last_error.h"

namespace bitbridge::cbind {

void clearLastSystemError() { errno = 0; }
int32_t lastSystemError() { return errno; }

}  // namespace bitbridge::cbind
