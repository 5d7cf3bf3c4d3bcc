// Finding an ActiveX DLL's class by name in its type library (typelib_class-win32.h).
#include "host/com/typelib_class-win32.h"

#include <oleauto.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "bitbridge/error.h"
#include "common/platform/com_errors-win32.h"
#include "common/platform/text-win32.h"
#include "host/com/type_text-win32.h"

namespace bitbridge {
namespace {

std::string lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The name the type library gives entry `index` (-1: the library itself); takes the BSTR.
std::string nameOf(ITypeLib* library, INT index) {
  BSTR name = nullptr;
  if (FAILED(library->GetDocumentation(index, &name, nullptr, nullptr, nullptr)) || !name) {
    return {};
  }
  std::string text = narrow(std::wstring(name, ::SysStringLen(name)));
  ::SysFreeString(name);
  return text;
}

struct Coclass {
  std::string name;
  CLSID clsid;
};

std::vector<Coclass> coclassesOf(ITypeLib* library) {
  std::vector<Coclass> found;
  for (UINT i = 0, n = library->GetTypeInfoCount(); i < n; ++i) {
    TYPEKIND kind{};
    if (FAILED(library->GetTypeInfoType(i, &kind)) || kind != TKIND_COCLASS) continue;
    ITypeInfo* info = nullptr;
    if (FAILED(library->GetTypeInfo(i, &info))) continue;
    TYPEATTR* attributes = nullptr;
    if (SUCCEEDED(info->GetTypeAttr(&attributes))) {
      found.push_back({nameOf(library, static_cast<INT>(i)), attributes->guid});
      info->ReleaseTypeAttr(attributes);
    }
    info->Release();
  }
  return found;
}

}  // namespace

CLSID classIdFromTypeLibrary(const std::string& path, const std::string& name) {
  ITypeLib* library = nullptr;
  HRESULT hr = ::LoadTypeLibEx(widen(path).c_str(), REGKIND_NONE, &library);
  if (FAILED(hr) || library == nullptr) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot find class '" + name + "' in " + path + ": it has no type library (" +
                    hresultText(hr) + ")",
                "pass the class's CLSID in braces ({xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}), from "
                "the vendor's documentation or IDL");
  }
  std::string libraryName = nameOf(library, -1);
  std::vector<Coclass> classes = coclassesOf(library);
  library->Release();

  std::string wanted = lowered(name);
  std::string available;
  for (const Coclass& c : classes) {
    std::string progId = libraryName + "." + c.name;
    if (lowered(progId) == wanted || lowered(c.name) == wanted) return c.clsid;
    available += (available.empty() ? "" : ", ") + progId + " " + guidText(c.clsid);
  }
  throw Error(ErrorKind::NotFound,
              "the type library of " + path + " has no class '" + name + "'" +
                  (available.empty() ? std::string(": it declares no class")
                                     : "; its classes: " + available),
              "pass one of its classes as \"Library.Class\", \"Class\" or its CLSID in braces");
}

}  // namespace bitbridge
