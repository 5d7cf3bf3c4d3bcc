#include "host/com/invoke_error-win32.h"

#include <oleauto.h>

#include <cstdint>
#include <cstdio>

#include "common/platform/com_errors-win32.h"

namespace bitbridge {
namespace {

std::string takeBstr(BSTR& text) {
  std::string out;
  if (text != nullptr) {
    out = narrow(std::wstring(text, ::SysStringLen(text)));
    ::SysFreeString(text);
    text = nullptr;
  }
  return out;
}

std::string hex(HRESULT result) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%08lX", static_cast<unsigned long>(result));
  return buffer;
}

}  // namespace

const char* dispatchErrorName(HRESULT result) {
  switch (result) {
    case DISP_E_UNKNOWNINTERFACE: return "DISP_E_UNKNOWNINTERFACE";
    case DISP_E_MEMBERNOTFOUND: return "DISP_E_MEMBERNOTFOUND";
    case DISP_E_PARAMNOTFOUND: return "DISP_E_PARAMNOTFOUND";
    case DISP_E_TYPEMISMATCH: return "DISP_E_TYPEMISMATCH";
    case DISP_E_UNKNOWNNAME: return "DISP_E_UNKNOWNNAME";
    case DISP_E_NONAMEDARGS: return "DISP_E_NONAMEDARGS";
    case DISP_E_BADVARTYPE: return "DISP_E_BADVARTYPE";
    case DISP_E_EXCEPTION: return "DISP_E_EXCEPTION";
    case DISP_E_OVERFLOW: return "DISP_E_OVERFLOW";
    case DISP_E_BADINDEX: return "DISP_E_BADINDEX";
    case DISP_E_BADPARAMCOUNT: return "DISP_E_BADPARAMCOUNT";
    case DISP_E_PARAMNOTOPTIONAL: return "DISP_E_PARAMNOTOPTIONAL";
    case DISP_E_NOTACOLLECTION: return "DISP_E_NOTACOLLECTION";
    default: return nullptr;
  }
}

Error invokeError(HRESULT result, EXCEPINFO& exception, UINT argumentError, unsigned positional,
                  const std::string& className, const std::string& member) {
  std::string where = className + "." + (member.empty() ? std::string("<default member>") : member);
  if (result == DISP_E_EXCEPTION) {
    if (exception.pfnDeferredFillIn != nullptr) exception.pfnDeferredFillIn(&exception);
    std::string source = takeBstr(exception.bstrSource);
    std::string description = takeBstr(exception.bstrDescription);
    std::string helpFile = takeBstr(exception.bstrHelpFile);
    // VB6 raises with scode = its error number's HRESULT; wCode is the older 16-bit form.
    HRESULT code = exception.scode != 0 ? exception.scode
                                         : static_cast<HRESULT>(exception.wCode);
    std::string message = where + " raised an error: " +
                          (description.empty() ? std::string("(no description)") : description) +
                          " (source: " + (source.empty() ? std::string("unknown") : source) +
                          ", HRESULT " + hex(code);
    if (exception.wCode != 0) {
      message += ", error " + std::to_string(exception.wCode);
    } else if ((static_cast<uint32_t>(code) & 0xFFFF0000u) == 0x800A0000u) {
      // FACILITY_CONTROL: a Visual Basic run-time error, known by its number (457: "This key is
      // already associated with an element of this collection").
      message += ", VB error " + std::to_string(static_cast<uint32_t>(code) & 0xFFFFu);
    }
    if (exception.dwHelpContext != 0 || !helpFile.empty()) {
      message += ", help context " + std::to_string(exception.dwHelpContext);
      if (!helpFile.empty()) message += " in " + helpFile;
    }
    message += ")";
    return Error(ErrorKind::Remote, message,
                 "the COM object raised it: see its documentation for this error");
  }
  const char* name = dispatchErrorName(result);
  std::string code = name != nullptr ? std::string(name) + " (" + hex(result) + ")"
                                     : hresultText(result);
  std::string message = where + " failed: " + code;
  std::string hint = "check the member's name, arguments and types against the class";
  switch (result) {
    case DISP_E_MEMBERNOTFOUND:
    case DISP_E_UNKNOWNNAME:
      message += ": the class has no member of that name for this kind of call";
      hint = "check the spelling, and method vs property get/put (ComObject::call/get/put)";
      break;
    case DISP_E_BADPARAMCOUNT:
      message += ": wrong number of arguments";
      hint = "pass the member's arguments (ComVariant::missing() for optional ones left out)";
      break;
    case DISP_E_TYPEMISMATCH:
    case DISP_E_PARAMNOTFOUND:
      if (argumentError < positional) {
        message += ": argument " + std::to_string(positional - argumentError) +
                   " has the wrong type";
      } else {
        message += ": an argument has the wrong type";
      }
      hint = "pass a ComVariant of the type the member expects";
      break;
    case DISP_E_PARAMNOTOPTIONAL:
      message += ": a required argument is missing";
      hint = "pass every required argument";
      break;
    default:
      break;
  }
  return Error(ErrorKind::Remote, message, hint);
}

}  // namespace bitbridge
