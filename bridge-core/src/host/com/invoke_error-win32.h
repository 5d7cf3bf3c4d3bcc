// What a failed IDispatch call becomes for the client: a bitbridge::Error (Remote) naming the
// class, the member, and either what the object raised (EXCEPINFO: VB6's Err.Raise source,
// description, number and help context) or the DISP_E_* code by name. Windows hosts.
// Thread assumption: on the object's apartment thread (EXCEPINFO's deferred fill-in calls it).
#pragma once

#include <windows.h>
#include <oaidl.h>

#include <string>

#include "bitbridge/error.h"

namespace bitbridge {

/// "DISP_E_MEMBERNOTFOUND" for the codes IDispatch answers with, else null.
const char* dispatchErrorName(HRESULT result);

/// Takes over `exception`'s strings (frees them). `argumentError`: IDispatch::Invoke's puArgErr,
/// an index in rgvarg (reverse order); `positional` is how many positional arguments there were.
Error invokeError(HRESULT result, EXCEPINFO& exception, UINT argumentError, unsigned positional,
                  const std::string& className, const std::string& member);

}  // namespace bitbridge
