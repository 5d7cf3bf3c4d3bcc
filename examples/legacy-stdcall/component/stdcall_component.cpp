// The bitbridge component that wraps the 32-bit __stdcall DLL legacy_stdcall.dll. Built 32-bit
// and loaded by bitbridge-host32; 64-bit programs reach it as a Cap'n Proto capability.
//
// It loads the DLL at run time by its full path next to this component and looks the functions
// up by their undecorated names, the way VB6 programs used such DLLs: a missing DLL or export
// then becomes an activation error that names it, instead of the host failing to load the
// component with a bare "module not found".
//
// Lifetime: one LegacyDllImpl per activation, holding one reference to the DLL (LoadLibraryExW
// counts them), released with the instance. Threading: created and called on the host's RPC
// thread; the DLL is stateless, so nothing more is needed.
#include <windows.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <bitbridge/component.h>
#include <kj/exception.h>
#include <kj/string.h>

#include "legacy_stdcall.h"
#include "stdcall.capnp.h"

namespace {

constexpr const wchar_t* kDllName = L"legacy_stdcall.dll";

// A FAILED exception whose description is for people: the client's bitbridge::Error{Remote}.
template <typename... Params>
[[noreturn]] void fail(Params&&... params) {
  kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                        kj::str(kj::fwd<Params>(params)...)));
}

// legacy_stdcall.dll in the directory of `componentPath` (UTF-8; may use '/' under Wine).
std::filesystem::path dllNextTo(const char* componentPath) {
  return std::filesystem::u8path(componentPath).parent_path() / kDllName;
}

}  // namespace

class LegacyDllImpl final : public legacy_stdcall::LegacyDll::Server {
 public:
  explicit LegacyDllImpl(bitbridge::ComponentContext& context) {
    std::filesystem::path path = dllNextTo(context.componentPath());
    // Its own directory first for the DLL's dependencies, like the component's.
    module_ = ::LoadLibraryExW(path.c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (module_ == nullptr) {
      fail("legacy-stdcall: cannot load ", path.u8string().c_str(), " (error ", ::GetLastError(),
           "); it must sit next to the component");
    }
    add_ = lookUp<LegacyAddFn>("LegacyAdd");
    describe_ = lookUp<LegacyDescribeFn>("LegacyDescribe");
    pointerBits_ = lookUp<LegacyPointerBitsFn>("LegacyPointerBits");
  }
  ~LegacyDllImpl() { ::FreeLibrary(module_); }

 protected:
  kj::Promise<void> add(AddContext context) override {
    auto params = context.getParams();
    context.getResults().setSum(static_cast<int32_t>(add_(params.getA(), params.getB())));
    return kj::READY_NOW;
  }

  kj::Promise<void> describe(DescribeContext context) override {
    long value = context.getParams().getValue();
    // The DLL's "call twice" protocol: a typical size first, then exactly what it asked for.
    std::vector<char> buffer(32);
    long length = describe_(value, buffer.data(), static_cast<long>(buffer.size()));
    if (length >= static_cast<long>(buffer.size())) {
      buffer.resize(static_cast<size_t>(length) + 1);
      length = describe_(value, buffer.data(), static_cast<long>(buffer.size()));
    }
    context.getResults().setText(buffer.data());
    return kj::READY_NOW;
  }

  kj::Promise<void> info(InfoContext context) override {
    auto results = context.getResults();
    results.setPointerBits(static_cast<uint8_t>(pointerBits_()));
    results.setHostPid(static_cast<uint32_t>(::GetCurrentProcessId()));
    std::wstring path(MAX_PATH, L'\0');
    DWORD length = ::GetModuleFileNameW(module_, &path[0], static_cast<DWORD>(path.size()));
    path.resize(length);
    results.setDllPath(std::filesystem::path(path).u8string());
    return kj::READY_NOW;
  }

 private:
  // An export by its undecorated name (legacy_stdcall.def); a decorated-only DLL fails here.
  template <typename Function>
  Function lookUp(const char* name) {
    FARPROC address = ::GetProcAddress(module_, name);
    if (address == nullptr) {
      ::FreeLibrary(module_);  // the destructor will not run: the constructor throws
      fail("legacy-stdcall: legacy_stdcall.dll has no export named ", name,
           " (exported with __stdcall decoration only? it needs a .def file)");
    }
    return reinterpret_cast<Function>(reinterpret_cast<void*>(address));
  }

  HMODULE module_ = nullptr;
  LegacyAddFn add_ = nullptr;
  LegacyDescribeFn describe_ = nullptr;
  LegacyPointerBitsFn pointerBits_ = nullptr;
};

BITBRIDGE_COMPONENT(bitbridge::serve<LegacyDllImpl>("legacy-stdcall"))
