// The host as a COM LocalServer: registration, and the -Embedding mode (see com_server-win32.h).
//
// Why COM hands out only a rendezvous object and not the host itself: Cap'n Proto RPC over a
// private pipe is how every bitbridge host is reached (same protocol, hello, watchdog and
// lifetime rules as a spawned host). COM is used for what it is good at on Windows: finding and
// starting the registered executable of the right bitness, under the launching user's identity.
// The object's IDispatch needs no type library or proxy registration: oleaut32's universal
// marshaller carries IDispatch across processes (and bitness) by itself.
#include "host/executable/com_server-win32.h"

#include <windows.h>
#include <ole2.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cwchar>
#include <memory>
#include <new>
#include <string>

#include <kj/async-io.h>
#include <spdlog/logger.h>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"
#include "bitbridge/host.h"
#include "common/platform/com_errors-win32.h"
#include "common/platform/handle-win32.h"
#include "common/platform/text-win32.h"
#include "common/transport/named_pipe-win32.h"
#include "host/executable/com_host_log-win32.h"
#include "host/host_service.h"
#include "host/host_watchdog.h"
#include "wire/com_ids.h"
#include "wire/host_exit.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

// From COM starting us to the client connected to the pipe: activation, the Endpoint call and
// the connect take milliseconds (about a second under Wine); a host nobody claims must not linger.
constexpr auto kClaimTimeout = std::chrono::seconds(30);
// Same hello deadline as a spawned host (host/executable/main.cpp).
constexpr auto kHelloTimeout = 10 * kj::SECONDS;

// ---------------------------------------------------------------------------------------------
// Registration

struct Hive {
  HKEY root;
  const char* name;  // for messages
};

Hive hiveFor(bool perUser) {
  return perUser ? Hive{HKEY_CURRENT_USER, "HKCU"} : Hive{HKEY_LOCAL_MACHINE, "HKLM"};
}

// Where this process was started from: what LocalServer32 must name.
std::wstring thisExecutable() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD length = ::GetModuleFileNameW(nullptr, &path[0], static_cast<DWORD>(path.size()));
    if (length == 0) return {};
    if (length < path.size()) {
      path.resize(length);
      return path;
    }
    path.resize(path.size() * 2);  // truncated (long path): grow and ask again
  }
}

// A registry failure: which hive and key, the system's words, and the fix.
[[noreturn]] void registryFailed(const Hive& hive, const std::wstring& key, const char* what,
                                 LSTATUS status) {
  std::string hint;
  if (status == ERROR_ACCESS_DENIED && hive.root == HKEY_LOCAL_MACHINE) {
    hint =
        "writing HKLM needs an elevated prompt on Windows (Run as administrator); or register "
        "for this user only with --per-user (HKCU: Windows honours it, Wine does not)";
  } else if (status == ERROR_ACCESS_DENIED) {
    hint = "this user may not change its own registry classes here; ask an administrator";
  }
  throw Error(ErrorKind::BadConfiguration,
              std::string("cannot ") + what + " " + hive.name + "\\" + narrow(key) + ": " +
                  win32ErrorText(static_cast<uint32_t>(status)),
              hint);
}

// Sets the (default) value of `key` (created if missing) in the 64-bit view: one registration
// that clients of both bitnesses see, whichever host wrote it.
void setDefaultValue(const Hive& hive, const std::wstring& key, const std::wstring& value) {
  HKEY handle = nullptr;
  LSTATUS status = ::RegCreateKeyExW(hive.root, key.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                     KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, &handle, nullptr);
  if (status != ERROR_SUCCESS) registryFailed(hive, key, "create", status);
  status =
      ::RegSetValueExW(handle, nullptr, 0, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()),
                       static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t)));
  ::RegCloseKey(handle);
  if (status != ERROR_SUCCESS) registryFailed(hive, key, "write", status);
}

// The (default) value of `key`, or "" if it has none (or is missing).
std::wstring defaultValue(const Hive& hive, const std::wstring& key) {
  HKEY handle = nullptr;
  if (::RegOpenKeyExW(hive.root, key.c_str(), 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, &handle) !=
      ERROR_SUCCESS) {
    return {};
  }
  wchar_t buffer[2048];
  DWORD bytes = sizeof(buffer);
  LSTATUS status = ::RegGetValueW(handle, nullptr, nullptr, RRF_RT_REG_SZ, nullptr, buffer, &bytes);
  ::RegCloseKey(handle);
  return status == ERROR_SUCCESS ? std::wstring(buffer) : std::wstring();
}

// Deletes `key` and everything under it (64-bit view). Returns false if it did not exist.
bool deleteTree(const Hive& hive, const std::wstring& key) {
  HKEY handle = nullptr;
  // RegDeleteTreeW has no view flag: it works below a handle opened in the view we want.
  LSTATUS status = ::RegOpenKeyExW(
      hive.root, key.c_str(), 0,
      DELETE | KEY_ENUMERATE_SUB_KEYS | KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_WOW64_64KEY, &handle);
  if (status == ERROR_FILE_NOT_FOUND) return false;
  if (status != ERROR_SUCCESS) registryFailed(hive, key, "open", status);
  status = ::RegDeleteTreeW(handle, nullptr);  // subkeys and values; the key itself stays
  ::RegCloseKey(handle);
  if (status == ERROR_SUCCESS) {
    status = ::RegDeleteKeyExW(hive.root, key.c_str(), KEY_WOW64_64KEY, 0);
  }
  if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND) {
    registryFailed(hive, key, "delete", status);
  }
  return true;
}

void registerClass(const Hive& hive, const ComHostIds& ids, const std::wstring& executable) {
  const std::wstring classes = L"Software\\Classes\\";
  const std::wstring clsidKey = classes + L"CLSID\\" + ids.clsidText;
  setDefaultValue(hive, clsidKey, ids.description);
  // Quoted: install paths have spaces ("C:\Program Files\..."), and COM appends -Embedding.
  setDefaultValue(hive, clsidKey + L"\\LocalServer32", L"\"" + executable + L"\"");
  setDefaultValue(hive, clsidKey + L"\\ProgID", ids.progId);
  setDefaultValue(hive, classes + ids.progId, ids.description);
  setDefaultValue(hive, classes + ids.progId + L"\\CLSID", ids.clsidText);
}

// Returns whether anything was registered.
bool unregisterClass(const Hive& hive, const ComHostIds& ids) {
  const std::wstring classes = L"Software\\Classes\\";
  bool removedClass = deleteTree(hive, classes + L"CLSID\\" + ids.clsidText);
  bool removedProgId = deleteTree(hive, classes + ids.progId);
  return removedClass || removedProgId;
}

// ---------------------------------------------------------------------------------------------
// The -Embedding mode

// Shared by the class factory (called on COM's RPC threads) and runComServer's main thread.
struct ActivationSignal {
  ActivationSignal() : event(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {
    if (event.get() == nullptr) {
      throw Error(ErrorKind::BadConfiguration, "CreateEvent failed: " + lastWin32ErrorText());
    }
  }
  UniqueHandle event;             // set once the one activation has been handed its object
  std::atomic<bool> used{false};  // single use: a second CreateInstance is refused
};

// IUnknown for an object implementing one COM interface (`iid`): reference counted, deleted at
// zero. Counts are atomic: COM calls arrive on any thread of the multithreaded apartment.
template <typename Interface>
class ComObject : public Interface {
 public:
  explicit ComObject(const IID& iid) : iid_(iid) {}

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** out) override {
    if (out == nullptr) return E_POINTER;
    if (riid == IID_IUnknown || riid == iid_) {
      *out = static_cast<Interface*>(this);
      AddRef();
      return S_OK;
    }
    *out = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return ++references_; }
  ULONG STDMETHODCALLTYPE Release() override {
    ULONG left = --references_;
    if (left == 0) delete this;
    return left;
  }

 protected:
  virtual ~ComObject() = default;  // only through Release

 private:
  const IID& iid_;
  std::atomic<ULONG> references_{1};
};

// The object an activation gets: IDispatch with the one property "Endpoint" (com_ids.h).
// Immutable but for its reference count, so any COM thread may call it. Its lifetime is COM's
// (the client's reference); the host's is the pipe's, so its release ends nothing.
class EndpointObject final : public ComObject<IDispatch> {
 public:
  explicit EndpointObject(std::wstring endpoint)
      : ComObject(IID_IDispatch), endpoint_(std::move(endpoint)) {}


  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override {
    if (count == nullptr) return E_POINTER;
    *count = 0;  // no type library: late binding by name only
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT, LCID, ITypeInfo** info) override {
    if (info != nullptr) *info = nullptr;
    return DISP_E_BADINDEX;
  }
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID riid, LPOLESTR* names, UINT count, LCID,
                                          DISPID* ids) override {
    if (riid != IID_NULL) return DISP_E_UNKNOWNINTERFACE;
    if (names == nullptr || ids == nullptr) return E_POINTER;
    HRESULT result = S_OK;
    for (UINT i = 0; i < count; ++i) {
      // names[0] is the member, later ones its named arguments (the property has none).
      bool known = i == 0 && names[i] != nullptr && ::_wcsicmp(names[i], kComEndpointName) == 0;
      ids[i] = known ? kComEndpointDispid : DISPID_UNKNOWN;
      if (!known) result = DISP_E_UNKNOWNNAME;
    }
    return result;
  }
  HRESULT STDMETHODCALLTYPE Invoke(DISPID member, REFIID riid, LCID, WORD flags, DISPPARAMS* params,
                                   VARIANT* result, EXCEPINFO*, UINT*) override {
    if (riid != IID_NULL) return DISP_E_UNKNOWNINTERFACE;
    if (member != kComEndpointDispid) return DISP_E_MEMBERNOTFOUND;
    // Script and VB callers read properties with DISPATCH_METHOD | DISPATCH_PROPERTYGET.
    if ((flags & (DISPATCH_PROPERTYGET | DISPATCH_METHOD)) == 0) return DISP_E_MEMBERNOTFOUND;
    if (params != nullptr && params->cArgs != 0) return DISP_E_BADPARAMCOUNT;
    if (result == nullptr) return E_INVALIDARG;
    ::VariantInit(result);
    BSTR text = ::SysAllocStringLen(endpoint_.data(), static_cast<UINT>(endpoint_.size()));
    if (text == nullptr) return E_OUTOFMEMORY;
    result->vt = VT_BSTR;
    result->bstrVal = text;
    return S_OK;
  }

 private:
  ~EndpointObject() override = default;  // only through Release

  const std::wstring endpoint_;
};

// The class object registered with REGCLS_SINGLEUSE. Its CreateInstance hands out one
// EndpointObject and signals the main thread, which then revokes it.
class EndpointFactory final : public ComObject<IClassFactory> {
 public:
  EndpointFactory(std::wstring endpoint, std::shared_ptr<ActivationSignal> signal)
      : ComObject(IID_IClassFactory), endpoint_(std::move(endpoint)), signal_(std::move(signal)) {}


  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID riid, void** out) override {
    if (out == nullptr) return E_POINTER;
    *out = nullptr;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    // One client per host process: a second activation must start a host of its own.
    if (signal_->used.exchange(true)) return CO_E_SERVER_STOPPING;
    auto* object = new (std::nothrow) EndpointObject(endpoint_);
    if (object == nullptr) {
      signal_->used = false;
      return E_OUTOFMEMORY;
    }
    HRESULT result = object->QueryInterface(riid, out);
    object->Release();  // the creation reference; *out holds its own on success
    if (FAILED(result)) {
      signal_->used = false;  // asked for an interface we lack: nothing was handed out
      return result;
    }
    ::SetEvent(signal_->event.get());
    return S_OK;
  }
  // The pipe, not COM's server locks, decides when this host exits.
  HRESULT STDMETHODCALLTYPE LockServer(BOOL) override { return S_OK; }

 private:
  ~EndpointFactory() override = default;  // only through Release

  const std::wstring endpoint_;
  std::shared_ptr<ActivationSignal> signal_;
};

// Joins this process's main thread to the multithreaded apartment, where COM's own threads call
// the class factory and the endpoint object. Never left (no CoUninitialize): the process ends as
// soon as serving ends, and under Wine CoUninitialize was seen to hang for good when a client's
// Release of the endpoint object arrived at the same moment (a host that never exits); process
// exit releases everything COM holds anyway.
void joinMultithreadedApartment() {
  HRESULT result = ::CoInitializeEx(nullptr, COINIT_MULTITHREADED);
  if (FAILED(result)) {
    throw Error(ErrorKind::BadConfiguration, "CoInitializeEx failed: " + hresultText(result));
  }
}

// The class object's registration with COM; revoked at the latest when this goes.
class ClassRegistration {
 public:
  ClassRegistration(const ComHostIds& ids, IClassFactory* factory) {
    HRESULT result = ::CoRegisterClassObject(ids.clsid, factory, CLSCTX_LOCAL_SERVER,
                                             REGCLS_SINGLEUSE, &cookie_);
    if (FAILED(result)) {
      throw Error(ErrorKind::BadConfiguration, std::string("cannot register the class object of ") +
                                                   ids.name + ": " + hresultText(result));
    }
  }
  ~ClassRegistration() { revoke(); }
  ClassRegistration(const ClassRegistration&) = delete;
  ClassRegistration& operator=(const ClassRegistration&) = delete;
  void revoke() {
    if (cookie_ != 0) ::CoRevokeClassObject(cookie_);
    cookie_ = 0;
  }

 private:
  DWORD cookie_ = 0;
};

struct FactoryRelease {
  void operator()(IClassFactory* factory) const { factory->Release(); }
};

int serveComActivation(ComHostLog& log) {
  const std::shared_ptr<spdlog::logger>& logger = log.logger();
  const ComHostIds& ids = comHostIds(currentArch());
  const auto deadline = std::chrono::steady_clock::now() + kClaimTimeout;
  joinMultithreadedApartment();

  // The pipes exist before COM can hand their names out, so the client never waits for them;
  // the heartbeat's is created by the watchdog when serving starts (before the hello), as for
  // a spawned host.
  std::string pipeName = newPipeName("com");
  UniqueHandle pipe = createPipeServer(pipeName);
  std::string logPipeName = newPipeName("com-log");
  UniqueHandle logPipe = createPipeServer(logPipeName, PipeMode::BlockingLog);
  std::string heartbeatPipeName = newPipeName("com-heartbeat");
  const std::string bar(1, kComEndpointSeparator);
  std::string endpoint = pipeName + bar + std::to_string(::GetCurrentProcessId()) + bar +
                         logPipeName + bar + heartbeatPipeName;
  auto signal = std::make_shared<ActivationSignal>();
  std::unique_ptr<IClassFactory, FactoryRelease> factory(
      new EndpointFactory(widen(endpoint), signal));
  ClassRegistration registration(ids, factory.get());
  logger->info("{} started by COM; endpoint {}", ids.name, endpoint);

  // 1. The activation that started us. Then no other: revoked at once (single use).
  DWORD wait = ::WaitForSingleObject(
      signal->event.get(), static_cast<DWORD>(std::chrono::milliseconds(kClaimTimeout).count()));
  registration.revoke();
  if (wait != WAIT_OBJECT_0) {
    logger->error("{}: COM started this host but no client activated it within {} s; exiting",
                  ids.name, kClaimTimeout.count());
    return exitCode(HostExit::Failed);
  }

  // 2. That client connects to the pipe (within what is left of the same 30 s).
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (!waitForPipeClient(pipe.get(), std::max(left, std::chrono::milliseconds(0)))) {
    logger->error("{}: the client that activated this host did not connect to {} in time; exiting",
                  ids.name, pipeName);
    return exitCode(HostExit::Failed);
  }

  // 3. Its log pipe, which it connected to first: from now on the log goes there (so does
  // whatever the host or a component writes to stdout or stderr). If it did not connect, serve
  // anyway: the log is lost, as it always was for COM hosts, but the client is served.
  left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  // Only to the process that holds the RPC pipe: the names are random and only the activating
  // client learns them, but the log may say what the component does.
  const uint32_t client = pipeClientProcessId(pipe.get());
  if (!waitForBlockingPipeClient(logPipe.get(), logPipeName,
                                 std::max(left, std::chrono::milliseconds(1000)))) {
    logger->warn("{}: the client did not connect to the log pipe {}; its log stays here",
                 ids.name, logPipeName);
  } else if (pipeClientProcessId(logPipe.get()) != client) {
    logger->warn("{}: process {} connected to the log pipe, not the client (pid {}); its log "
                 "stays here", ids.name, pipeClientProcessId(logPipe.get()), client);
  } else {
    try {
      log.sendTo(std::move(logPipe));
    } catch (const Error& e) {
      logger->warn("{}: {}; its log stays here", ids.name, e.what());
    }
  }

  // 4. Serve it like a spawned host. The watchdog answers its heartbeat, and ends this host when
  // the client's process is gone, even if the RPC thread is stuck in a legacy call and never
  // reads the pipe's EOF.
  HostWatchdogSettings watchdog;
  watchdog.heartbeat = host_flags::kPipePrefix + heartbeatPipeName;
  watchdog.parentPid = static_cast<int>(client);
  if (watchdog.parentPid == 0) {
    logger->warn("{}: cannot tell the client's pid ({}); serving without the orphan check",
                 ids.name, lastWin32ErrorText());
  }
  auto io = kj::setupAsyncIo();
  auto stream = wrapPipe(io.win32EventPort, kj::mv(pipe));
  logger->debug("{} serving client pid {}", ids.name, watchdog.parentPid);
  return runHost(io, kj::mv(stream), logger, kHelloTimeout, Transport::Socket, watchdog);
}

}  // namespace

int registerComServer(bool perUser, bool unregister) {
  const ComHostIds& ids = comHostIds(currentArch());
  const Hive hive = hiveFor(perUser);
  const std::string clsid = narrow(ids.clsidText);
  const std::string where = std::string(hive.name) + "\\Software\\Classes";
  try {
    if (unregister) {
      std::wstring previous = defaultValue(
          hive, std::wstring(L"Software\\Classes\\CLSID\\") + ids.clsidText + L"\\LocalServer32");
      if (unregisterClass(hive, ids)) {
        std::printf("unregistered COM class %s (%s) from %s%s%s\n", clsid.c_str(),
                    narrow(ids.progId).c_str(), where.c_str(),
                    previous.empty() ? "" : "; it named ", narrow(previous).c_str());
      } else {
        std::printf("COM class %s (%s) was not registered in %s; nothing to do\n", clsid.c_str(),
                    narrow(ids.progId).c_str(), where.c_str());
      }
      return exitCode(HostExit::Ok);
    }
    std::wstring executable = thisExecutable();
    if (executable.empty()) {
      throw Error(ErrorKind::BadConfiguration,
                  "cannot tell where this executable is: " + lastWin32ErrorText());
    }
    registerClass(hive, ids, executable);
    std::printf("registered %s as COM class %s (ProgID %s) in %s: LocalServer32 = \"%s\"\n",
                ids.name, clsid.c_str(), narrow(ids.progId).c_str(), where.c_str(),
                narrow(executable).c_str());
    if (perUser) {
      std::printf("note: Wine ignores per-user (HKCU) COM classes; register without --per-user "
                  "there\n");
    }
    return exitCode(HostExit::Ok);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: %s\n", ids.name, e.what());
    return exitCode(HostExit::Failed);
  }
}

int runComServer() {
  ComHostLog log;
  const std::shared_ptr<spdlog::logger>& logger = log.logger();
  try {
    return serveComActivation(log);
  } catch (const Error& e) {
    logger->critical("{}", e.what());
  } catch (const kj::Exception& e) {
    logger->critical("{}", fromKjException(e).what());
  } catch (const std::exception& e) {
    logger->critical("unexpected error: {}", e.what());
  }
  return exitCode(HostExit::Failed);
}

}  // namespace bitbridge
