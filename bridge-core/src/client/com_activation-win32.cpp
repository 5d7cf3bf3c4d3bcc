// COM activation of a host on Windows (see com_activation.h for the threading and why).
#include "client/com_activation.h"

#include <windows.h>
#include <ole2.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "bitbridge/error.h"
#include "common/platform/com_errors-win32.h"
#include "common/platform/text-win32.h"
#include "common/process/child_process.h"
#include "common/transport/named_pipe-win32.h"
#include "wire/com_ids.h"

namespace bitbridge {
namespace {

std::string regserverFix(const ComHostIds& ids) {
  return std::string("run ") + ids.name + ".exe --regserver once, from an elevated prompt (it " +
         "writes HKLM\\Software\\Classes; under Wine, in the prefix the client runs in), from the "
         "bin directory of the bitbridge install the clients should use; or use Host::spawn, "
         "which needs no registration";
}

Error activationError(const ComHostIds& ids, const char* step, HRESULT result) {
  std::string clsid = narrow(ids.clsidText);
  std::string what = std::string(step) + " of " + ids.name + " (COM class " + clsid + ", " +
                     narrow(ids.progId) + ") failed: " + hresultText(result);
  switch (result) {
    case REGDB_E_CLASSNOTREG:
      return Error(ErrorKind::NotFound,
                   std::string("the COM class of ") + ids.name + " (" + clsid + ", " +
                       narrow(ids.progId) + ") is not registered: " + hresultText(result),
                   regserverFix(ids));
    case CO_E_SERVER_EXEC_FAILURE:
    case HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND):
    case HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND):
    case HRESULT_FROM_WIN32(ERROR_BAD_EXE_FORMAT):
      return Error(ErrorKind::BadConfiguration, what,
                   "COM could not start the registered executable: its LocalServer32 entry may "
                   "name a moved or deleted file, or the host failed at start (run it by hand "
                   "with --help); run " +
                       std::string(ids.name) + ".exe --regserver again from the current install");
    case E_ACCESSDENIED:
    case CO_E_SERVER_START_TIMEOUT:
      return Error(ErrorKind::BadConfiguration, what,
                   "check the class's launch permissions and that the host starts quickly "
                   "(DCOMCNFG); or use Host::spawn");
    default:
      return Error(ErrorKind::BadConfiguration, what);
  }
}

// What the activation thread and the caller share. The caller waits for `finished` (or gives
// up); the thread then waits for `release` before releasing the object in its own apartment.
struct ActivationState {
  std::mutex mutex;
  std::condition_variable changed;
  bool finished = false;  // set by the thread
  bool release = false;   // set by the caller (done with the object, or gave up waiting)
  std::optional<Error> error;
  std::wstring endpoint;  // the object's Endpoint property
};

// Reads the Endpoint property (by name: there is no type library).
std::wstring readEndpoint(const ComHostIds& ids, IDispatch* dispatch) {
  LPOLESTR name = const_cast<LPOLESTR>(kComEndpointName);
  DISPID id = DISPID_UNKNOWN;
  HRESULT result = dispatch->GetIDsOfNames(IID_NULL, &name, 1, LOCALE_USER_DEFAULT, &id);
  if (FAILED(result)) {
    throw activationError(ids, "looking up Endpoint on the activated object", result);
  }
  DISPPARAMS none{};
  VARIANT value;
  ::VariantInit(&value);
  result = dispatch->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_PROPERTYGET, &none, &value,
                            nullptr, nullptr);
  if (FAILED(result)) {
    throw activationError(ids, "reading Endpoint from the activated object", result);
  }
  std::wstring endpoint;
  const VARTYPE type = value.vt;  // VariantClear resets it
  bool text = type == VT_BSTR && value.bstrVal != nullptr;
  if (text) endpoint.assign(value.bstrVal, ::SysStringLen(value.bstrVal));
  ::VariantClear(&value);
  if (!text) {
    throw Error(ErrorKind::MalformedPeer,
                std::string("the object of COM class ") + narrow(ids.clsidText) +
                    " answered Endpoint with a non-string (VARIANT type " + std::to_string(type) +
                    "): not a bitbridge host",
                "another program registered that class; run " + std::string(ids.name) +
                    ".exe --regserver again");
  }
  return endpoint;
}

// The activation thread: the whole COM conversation, in an apartment of its own.
void activate(std::shared_ptr<ActivationState> state, const ComHostIds* ids) {
  HRESULT initialized = ::CoInitializeEx(nullptr, COINIT_MULTITHREADED);  // a fresh thread
  IDispatch* dispatch = nullptr;
  std::optional<Error> error;
  std::wstring endpoint;
  try {
    if (FAILED(initialized)) throw activationError(*ids, "CoInitializeEx", initialized);
    HRESULT result = ::CoCreateInstance(ids->clsid, nullptr, CLSCTX_LOCAL_SERVER, IID_IDispatch,
                                        reinterpret_cast<void**>(&dispatch));
    if (FAILED(result)) throw activationError(*ids, "activation", result);
    endpoint = readEndpoint(*ids, dispatch);
  } catch (const Error& e) {
    error = e;
  }
  std::unique_lock<std::mutex> lock(state->mutex);
  state->error = std::move(error);
  state->endpoint = std::move(endpoint);
  state->finished = true;
  state->changed.notify_all();
  state->changed.wait(lock, [&] { return state->release; });
  lock.unlock();
  // The host's lifetime is its pipe's: this release only tells COM we are done with the object.
  if (dispatch != nullptr) dispatch->Release();
  if (SUCCEEDED(initialized)) ::CoUninitialize();
}

// Owns the activation thread once it has delivered: destroying it lets the thread release the
// object and end, and waits for that. Lives in ComEndpoint::keepAlive.
class ActivationKeeper {
 public:
  ActivationKeeper(std::shared_ptr<ActivationState> state, std::thread thread)
      : state_(std::move(state)), thread_(std::move(thread)) {}
  ~ActivationKeeper() {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->release = true;
    }
    state_->changed.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  ActivationKeeper(const ActivationKeeper&) = delete;
  ActivationKeeper& operator=(const ActivationKeeper&) = delete;

 private:
  std::shared_ptr<ActivationState> state_;
  std::thread thread_;
};

}  // namespace

void parseComEndpoint(Arch arch, const std::string& text, ComEndpoint& endpoint) {
  const ComHostIds& ids = comHostIds(arch);
  const std::string prefix = "\\\\.\\pipe\\bitbridge-";
  std::vector<std::string> fields;
  for (size_t start = 0;;) {
    size_t bar = text.find(kComEndpointSeparator, start);
    fields.push_back(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  // Names as newPipeName makes them: the prefix, then lower-case letters, digits and dashes.
  auto isPipe = [&](const std::string& name) {
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
    return std::all_of(name.begin() + prefix.size(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
  };
  // A decimal pid of 1..UINT32_MAX, digits only.
  auto isPid = [](const std::string& digits) {
    return !digits.empty() && digits.size() <= 10 &&
           std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  unsigned long long pid = 0;
  bool ok = fields.size() == kComEndpointFields && isPipe(fields[0]) && isPipe(fields[2]) &&
            isPipe(fields[3]) && isPid(fields[1]);
  if (ok) {
    pid = std::strtoull(fields[1].c_str(), nullptr, 10);
    ok = pid > 0 && pid <= UINT32_MAX;
  }
  if (!ok) {
    bool older = fields.size() == 2 && isPipe(fields[0]);
    throw Error(ErrorKind::MalformedPeer,
                std::string("the object of COM class ") + narrow(ids.clsidText) +
                    " answered Endpoint = '" + text.substr(0, 300) + "': " +
                    (older ? "a host of an older bitbridge, without the log and heartbeat pipes "
                             "this client supervises a host with"
                           : "not a bitbridge host endpoint"),
                older ? "run " + std::string(ids.name) +
                            ".exe --regserver from this bitbridge install, so that COM starts "
                            "the host of the same version as the client"
                      : "another program registered that class; run " + std::string(ids.name) +
                            ".exe --regserver again");
  }
  endpoint.pipe = fields[0];
  endpoint.pid = static_cast<uint32_t>(pid);
  endpoint.logPipe = fields[2];
  endpoint.heartbeatPipe = fields[3];
}

ComEndpoint activateComHost(Arch arch, std::chrono::milliseconds timeout) {
  const ComHostIds& ids = comHostIds(arch);
  auto state = std::make_shared<ActivationState>();
  std::thread thread(activate, state, &ids);
  std::unique_lock<std::mutex> lock(state->mutex);
  if (!state->changed.wait_for(lock, timeout, [&] { return state->finished; })) {
    // COM is still starting (or waiting for) the host. The thread cannot be interrupted; it
    // releases whatever it gets and ends by itself (it owns a share of `state`).
    state->release = true;
    lock.unlock();
    thread.detach();
    throw Error(ErrorKind::TimedOut,
                std::string("COM did not activate ") + ids.name + " (" + narrow(ids.clsidText) +
                    ") within " + std::to_string(timeout.count()) + " ms",
                "a COM host starts in about a second under Wine and faster on Windows; check that "
                "the registered executable starts, or raise HostOptions::startTimeout");
  }
  std::optional<Error> error = std::move(state->error);
  std::string text = narrow(state->endpoint);
  lock.unlock();
  // From here the keeper owns the thread, so every way out releases the object.
  ComEndpoint endpoint;
  endpoint.keepAlive = std::make_shared<ActivationKeeper>(state, std::move(thread));
  if (error) throw *error;
  parseComEndpoint(arch, text, endpoint);
  return endpoint;
}

bool comActivationAvailable() { return true; }

ComHostConnection connectComHost(kj::AsyncIoContext& io, Arch arch, const ComEndpoint& endpoint,
                                 std::chrono::milliseconds timeout,
                                 std::function<void(const std::string&)> onLogLine) {
  const auto start = std::chrono::steady_clock::now();
  ComHostConnection connection;
  connection.label =
      std::string("COM ") + comHostIds(arch).name + " (pid " + std::to_string(endpoint.pid) + ")";
  // The host created its pipes before COM could hand their names out: they exist already, so
  // there is nothing to wait for but a moment of scheduling.
  auto left = [&] {
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return std::max(timeout - spent, std::chrono::milliseconds(100));
  };
  // The log first: the host waits for it once the RPC pipe is connected, and only then makes
  // it its stderr, so every line it writes while serving arrives here.
  auto log = connectPipeClient(endpoint.logPipe, endpoint.pid, left(), [] {},
                               connection.label + "'s log", PipeMode::BlockingLog);
  OpenRequest open;
  open.pid = static_cast<int>(endpoint.pid);
  open.outputPipe = log.release();
  open.onOutputLine = std::move(onLogLine);
  connection.process = ChildProcess::open(std::move(open));
  auto pipe = connectPipeClient(endpoint.pipe, endpoint.pid, left(), [] {}, connection.label);
  connection.stream = wrapPipe(io.win32EventPort, kj::mv(pipe), nullptr, PipeWrites::PerLoopTurn);
  return connection;
}

kj::Own<kj::AsyncIoStream> connectComHeartbeat(kj::AsyncIoContext& io, const ComEndpoint& endpoint,
                                               std::chrono::milliseconds timeout,
                                               const std::string& label) {
  auto pipe = connectPipeClient(endpoint.heartbeatPipe, endpoint.pid, timeout, [] {},
                                label + "'s heartbeat");
  return wrapPipe(io.win32EventPort, kj::mv(pipe));
}

}  // namespace bitbridge
