// The strings a drop-in proxy hands its program (docs/reference.md "Drop-in proxy libraries",
// Strings): a returned `const char*` / `const wchar_t*` that stays the library's, interned for
// the proxy's life (the program may keep it, as it would the library's static string); and a
// copy that is the program's to free, with its own `free` ($C.freeWith("free")) or with the
// vendor's deallocator ($C.freeWith("vendor_free")), which the generated proxy defines and
// which hands the pointer back here (release).
//
// Thread: `hand` runs on the proxy's thread; `release` on any program thread (the program frees
// where it likes), so the owned copies are behind a mutex of their own. Wide text is the
// program's wchar_t, which is this process's: bridge-core is built for the program's platform.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <capnp/blob.h>

namespace bitbridge::proxy {

class ProgramTexts {
 public:
  /// `utf8` as the program's text: a `char*`, or a `wchar_t*` when `wide`. `freeWith` empty:
  /// interned; "free": a malloc'd copy; another name: a malloc'd copy recorded as that
  /// function's to free. Throws Error{Overloaded} when memory runs out, and
  /// Error{MalformedPeer} (from the conversion) for wide text that is not UTF-8.
  void* hand(capnp::Text::Reader utf8, bool wide, const std::string& freeWith, const std::string& where);

  /// The program called the vendor's deallocator `function` on `p`: frees the proxy's copy.
  /// Returns an empty string when done (or for NULL, as `free` does), else why nothing was
  /// freed (a pointer this proxy did not hand out for `function`).
  std::string release(const char* function, void* p);

 private:
  std::unordered_set<std::string> narrow_;  // proxy's thread only
  std::unordered_set<std::wstring> wide_;   // proxy's thread only
  std::mutex mutex_;
  std::unordered_map<void*, std::string> owned_;  // copy -> the function that frees it
};

}  // namespace bitbridge::proxy
