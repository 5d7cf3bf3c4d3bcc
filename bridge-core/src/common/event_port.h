// The platform's KJ event port, under one name, for code that is otherwise the same everywhere.
//
// KJ drives I/O with a UnixEventPort (epoll/poll) on POSIX and a Win32EventPort (an I/O
// completion port) on Windows; kj::AsyncIoContext exposes whichever the platform has. Code that
// only passes the port through (the host service, the shared-memory transport's set-up) uses
// EventPort and eventPortOf(); code that observes descriptors or handles lives in *-posix.cpp or
// *-win32.cpp files. This header is the one place that chooses.
#pragma once

#include <kj/async-io.h>

#if defined(_WIN32)
#include <kj/async-win32.h>
#else
#include <kj/async-unix.h>
#endif

namespace bitbridge {

#if defined(_WIN32)
using EventPort = kj::Win32EventPort;
inline EventPort& eventPortOf(kj::AsyncIoContext& io) { return io.win32EventPort; }
#else
using EventPort = kj::UnixEventPort;
inline EventPort& eventPortOf(kj::AsyncIoContext& io) { return io.unixEventPort; }
#endif

}  // namespace bitbridge
