#include "client/proxy/caller_last_error.h"

#include <cerrno>

namespace bitbridge::proxy {

void setCallersLastError(int value) { errno = value; }

}  // namespace bitbridge::proxy
