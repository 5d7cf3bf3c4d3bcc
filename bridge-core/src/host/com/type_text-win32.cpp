#include "host/com/type_text-win32.h"

#include <oleauto.h>

#include "common/platform/text-win32.h"

namespace bitbridge {

std::string guidText(REFGUID guid) {
  wchar_t text[64] = {};
  if (::StringFromGUID2(guid, text, 64) == 0) return {};
  return narrow(text);
}

std::string typeInfoName(ITypeInfo* info, MEMBERID member) {
  if (info == nullptr) return {};
  BSTR name = nullptr;
  std::string out;
  if (SUCCEEDED(info->GetDocumentation(member, &name, nullptr, nullptr, nullptr)) &&
      name != nullptr) {
    out = narrow(std::wstring(name, ::SysStringLen(name)));
    ::SysFreeString(name);
  }
  return out;
}

}  // namespace bitbridge
