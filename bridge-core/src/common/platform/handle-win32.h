// An owned Win32 HANDLE: closed by the destructor, move-only. Null and INVALID_HANDLE_VALUE both
// mean "none" (Win32 uses either, depending on the call). Unlike kj::AutoCloseHandle its
// destructor never throws, so classes with virtual destructors can hold one. Windows only.
#pragma once

#include <windows.h>

namespace bitbridge {

class UniqueHandle {
 public:
  UniqueHandle() = default;
  UniqueHandle(decltype(nullptr)) {}
  explicit UniqueHandle(HANDLE handle) : handle_(handle) {}
  UniqueHandle(UniqueHandle&& other) noexcept : handle_(other.release()) {}
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = other.release();
    }
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  ~UniqueHandle() { reset(); }

  HANDLE get() const { return handle_; }
  bool valid() const { return handle_ != nullptr && handle_ != INVALID_HANDLE_VALUE; }
  HANDLE release() {
    HANDLE handle = handle_;
    handle_ = nullptr;
    return handle;
  }
  void reset() {
    if (valid()) ::CloseHandle(handle_);
    handle_ = nullptr;
  }

 private:
  HANDLE handle_ = nullptr;
};

}  // namespace bitbridge
