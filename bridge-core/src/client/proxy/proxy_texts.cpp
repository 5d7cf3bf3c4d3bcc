#include "client/proxy/proxy_texts.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bitbridge/error.h"
#include "common/wide_text.h"

namespace bitbridge::proxy {
namespace {

// A NUL-terminated malloc'd copy of `bytes` bytes at `data` plus a terminator of `unit` bytes.
void* mallocCopy(const void* data, size_t bytes, size_t unit) {
  auto* copy = static_cast<unsigned char*>(std::malloc(bytes + unit));
  if (copy == nullptr) throw Error(ErrorKind::Overloaded, "out of memory copying a string for the caller");
  if (bytes > 0) std::memcpy(copy, data, bytes);
  std::memset(copy + bytes, 0, unit);
  return copy;
}

}  // namespace

void* ProgramTexts::hand(capnp::Text::Reader utf8, bool wide, const std::string& freeWith,
                         const std::string& where) {
  std::string_view view(utf8.begin(), utf8.size());
  void* copy;
  if (!wide) {
    if (freeWith.empty()) return const_cast<char*>(narrow_.emplace(view).first->c_str());
    copy = mallocCopy(view.data(), view.size(), 1);
  } else {
    std::wstring text;
    try {
      text = utf8ToWide(view, where);
    } catch (const Error& e) {  // the host sends UTF-8 it converted itself: anything else is its fault
      throw Error(ErrorKind::MalformedPeer, e.message());
    }
    if (freeWith.empty()) return const_cast<wchar_t*>(wide_.emplace(std::move(text)).first->c_str());
    copy = mallocCopy(text.data(), text.size() * sizeof(wchar_t), sizeof(wchar_t));
  }
  if (freeWith != "free") {
    std::lock_guard<std::mutex> lock(mutex_);
    owned_.emplace(copy, freeWith);
  }
  return copy;
}

std::string ProgramTexts::release(const char* function, void* p) {
  if (p == nullptr) return {};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = owned_.find(p);
    if (it != owned_.end() && it->second == function) {
      owned_.erase(it);
      std::free(p);
      return {};
    }
    if (it != owned_.end()) {
      return std::string(function) + "() was given a string this proxy handed out to be freed with " +
             it->second + "(); it was not freed";
    }
  }
  char address[32];
  std::snprintf(address, sizeof address, "%p", p);
  return std::string(function) + "(" + address + ") was given a pointer this proxy did not hand out (its " +
         function + " frees only the strings the proxy returned under $C.freeWith(\"" + function +
         "\"), each once); it was not freed";
}

}  // namespace bitbridge::proxy
