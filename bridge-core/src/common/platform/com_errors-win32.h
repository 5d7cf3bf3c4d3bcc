// HRESULT text for the messages of COM activation (host and client side). Windows builds only.
//
// Why not FormatMessage alone: Wine knows no text for most COM HRESULTs ("unknown error"), and
// the hex code is what people search for, so the COM codes bitbridge meets have their Windows
// wording here and every message carries the code in hex.
#pragma once

#include <windows.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "common/platform/text-win32.h"

namespace bitbridge {

/// "Class not registered (HRESULT 0x80040154)".
inline std::string hresultText(HRESULT result) {
  char hex[24];
  std::snprintf(hex, sizeof(hex), "HRESULT 0x%08lX", static_cast<unsigned long>(result));
  const char* known = nullptr;
  switch (result) {
    case REGDB_E_CLASSNOTREG:
      known = "Class not registered";
      break;
    case CO_E_SERVER_EXEC_FAILURE:
      known = "Server execution failed";
      break;
    case CO_E_SERVER_START_TIMEOUT:
      known = "The server did not start in time";
      break;
    case CO_E_SERVER_STOPPING:
      known = "The server is stopping";
      break;
    case CO_E_NOTINITIALIZED:
      known = "CoInitialize has not been called";
      break;
    case CO_E_WRONG_SERVER_IDENTITY:
      known = "The class is configured to run as another identity";
      break;
    case CLASS_E_NOAGGREGATION:
      known = "Class does not support aggregation";
      break;
    case E_NOINTERFACE:
      known = "No such interface supported";
      break;
    case RPC_E_DISCONNECTED:
      known = "The object invoked has disconnected from its clients";
      break;
    case RPC_E_TIMEOUT:
      known = "This operation returned because the timeout period expired";
      break;
    case DISP_E_EXCEPTION:
      known = "Exception occurred";
      break;
    case RPC_E_SERVERFAULT:
      known = "The server threw an exception";
      break;
    case DISP_E_UNKNOWNNAME:
      known = "Unknown name";
      break;
    case DISP_E_MEMBERNOTFOUND:
      known = "Member not found";
      break;
    default:
      break;
  }
  if (known != nullptr) return std::string(known) + " (" + hex + ")";
  std::string text = win32ErrorText(static_cast<uint32_t>(result));
  // win32ErrorText ends with " (error <decimal>)": replaced by the hex form.
  auto paren = text.rfind(" (error ");
  if (paren != std::string::npos) text.resize(paren);
  return text + " (" + hex + ")";
}

}  // namespace bitbridge
