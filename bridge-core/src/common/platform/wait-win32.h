// Waiting for a Win32 handle (a process, an event) to be signaled, from a KJ event loop.
//
// KJ 0.9.2's Win32 event port does not implement observeSignalState() (KJ_UNIMPLEMENTED), so
// this registers a thread-pool wait (RegisterWaitForSingleObject) whose callback fulfils a
// cross-thread promise on the loop's thread. Windows only.
#pragma once

#include <windows.h>

#include <kj/async.h>
#include "common/internal_api.h"

namespace bitbridge {

/// Resolves on the calling thread's event loop once `handle` is signaled. `handle` must stay
/// open while the promise exists; dropping the promise unregisters the wait (blocking until a
/// callback already running has finished).
BITBRIDGE_INTERNAL_API kj::Promise<void> whenSignaled(HANDLE handle);

}  // namespace bitbridge
