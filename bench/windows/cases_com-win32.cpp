// The COM baseline of the Windows bench (winbench.h): IDispatch::Invoke on an out-of-process
// object of the other bitness. The object is the one every bitbridge host's COM LocalServer hands
// out (bridge-core/src/host/executable/com_server-win32.cpp), and the Invoke timed is its property get
// "Endpoint": a DISPID known in advance, no arguments, a short BSTR back, so that the time is
// COM's cross-process call (RPC, marshalling through oleaut32's universal marshaller) and not
// the server's work.
//
// Registration: the host of the server's bitness is registered under HKLM of the (private) Wine
// prefix for the case and unregistered after it, as tests/windows/com_test.cpp does; the smoke
// test holds the same ctest RESOURCE_LOCK as that suite.
#include <windows.h>
#include <ole2.h>

#include <algorithm>
#include <cstdio>
#include <cwchar>
#include <stdexcept>
#include <string>

#include "winbench.h"
#include "wire/com_ids.h"

namespace bitbridge::bench::win {
namespace {

void check(HRESULT result, const char* what) {
  if (FAILED(result)) {
    char code[16];
    std::snprintf(code, sizeof(code), "0x%08lx", static_cast<unsigned long>(result));
    throw std::runtime_error(std::string(what) + " failed: HRESULT " + code);
  }
}

// `host --regserver` / `--unregserver` of `arch`; registration is undone when this goes.
class Registration {
 public:
  explicit Registration(Arch arch) : arch_(arch) { run("--regserver"); }
  ~Registration() {
    try {
      run("--unregserver");
    } catch (...) {
      // Best effort: a leftover registration names our own stage, and the next run rewrites it.
    }
  }

 private:
  void run(const char* what) {
    Child host(hostExecutable(arch_), what, true);
    if (host.wait(60000) != 0) {
      throw std::runtime_error(hostExecutable(arch_) + " " + what + " failed");
    }
  }
  Arch arch_;
};

struct ComApartment {
  ComApartment() { check(::CoInitializeEx(nullptr, COINIT_MULTITHREADED), "CoInitializeEx"); }
  ~ComApartment() { ::CoUninitialize(); }
};

std::wstring getEndpoint(IDispatch* object) {
  DISPPARAMS none{};
  VARIANT result;
  ::VariantInit(&result);
  check(object->Invoke(kComEndpointDispid, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_PROPERTYGET,
                       &none, &result, nullptr, nullptr),
        "IDispatch::Invoke(Endpoint)");
  std::wstring text = result.vt == VT_BSTR && result.bstrVal != nullptr
                          ? std::wstring(result.bstrVal, ::SysStringLen(result.bstrVal))
                          : std::wstring();
  ::VariantClear(&result);
  return text;
}

// The activated host waits for its client on the pipe named in the endpoint: connect and close,
// so that it reads EOF and exits now (not after its 30 s claim timeout), and wait for it.
void releaseHost(const std::wstring& endpoint) {
  size_t bar = endpoint.find(L'|');
  if (bar == std::wstring::npos) return;
  DWORD pid = static_cast<DWORD>(std::wcstoul(endpoint.c_str() + bar + 1, nullptr, 10));
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, pid);
  std::wstring pipe = endpoint.substr(0, bar);
  HANDLE handle = ::CreateFileW(pipe.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                OPEN_EXISTING, 0, nullptr);
  if (handle != INVALID_HANDLE_VALUE) ::CloseHandle(handle);
  if (process != nullptr) {
    ::WaitForSingleObject(process, 15000);
    ::CloseHandle(process);
  }
}

}  // namespace

CaseResult comInvoke(const Settings& settings, Arch server) {
  Registration registration(server);
  ComApartment apartment;
  IDispatch* object = nullptr;
  auto t0 = Clock::now();
  check(::CoCreateInstance(comHostIds(server).clsid, nullptr, CLSCTX_LOCAL_SERVER, IID_IDispatch,
                           reinterpret_cast<void**>(&object)),
        "CoCreateInstance(CLSCTX_LOCAL_SERVER)");
  double activationUs =
      std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  std::wstring endpoint;
  CaseResult result;
  try {
    endpoint = getEndpoint(object);
    // At most 15000: the host waits at most 30 s (from its start) for its client on the pipe,
    // and exits when that passes, which would fail the calls still to come (~1 ms each).
    uint64_t calls = std::min<uint64_t>(settings.count(5000, 200), 15000);
    result = measureCalls(Settings::warmup(calls), calls, [&] { getEndpoint(object); });
  } catch (...) {
    object->Release();
    releaseHost(endpoint);
    throw;
  }
  object->Release();
  releaseHost(endpoint);
  result.extra.emplace_back("activation_us", activationUs);
  return result;
}

}  // namespace bitbridge::bench::win
