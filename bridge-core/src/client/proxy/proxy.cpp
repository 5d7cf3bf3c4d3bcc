// Proxy: the state behind a generated drop-in library (bitbridge/proxy.h). Calls from any
// thread are queued to one thread of the proxy's own, which owns the Runtime (a KJ event loop
// belongs to one thread), the Host and the bound library, and runs them one at a time; the
// calling thread waits for its call. That thread starts on the first call and lives until the
// process exits, as the Proxy does (never destroyed: see proxy.h). Once its host holds a stored
// callback it waits for the next call inside its event loop (a cross-thread fulfiller wakes
// it), so the host's calls of stored callbacks are served while the program makes no call.
//
// Callbacks (proxy_callbacks.h): the proxy's thread converts the host's calls of them and
// hands them to a program-side thread (CallerThread): the thread that made the call, for
// callbacks for the call; the stored-callback thread, a thread of the proxy's own, for stored
// ones. A call that such a thread makes from inside a callback (nested) is handed to the
// proxy's thread through a cross-thread fulfiller and started at once, whatever runs there
// (immediate), never queued behind the call that may be waiting for it.
#include "bitbridge/proxy.h"

#include <atomic>
#include <chrono>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <capnp/dynamic.h>
#include <kj/async.h>
#include <spdlog/logger.h>

#include "bitbridge/host.h"
#include "client/proxy/caller_last_error.h"
#include "client/proxy/proxy_callbacks.h"
#include "client/proxy/proxy_handles.h"
#include "client/proxy/proxy_marshal.h"
#include "client/proxy/proxy_plan.h"
#include "client/proxy/proxy_settings.h"
#include "common/logging.h"
#include "common/process/child_process.h"

namespace bitbridge::proxy {

namespace {

// A stored callback ($C.callback(released|host)) that the host holds: its scope is closed when
// its $C.releasedBy method's call returns, or when the host that held it is gone.
struct StoredCallback {
  CallbackLifetime lifetime = CallbackLifetime::Host;
  uint16_t releasedBy = 0;
  std::shared_ptr<CallScope> scope;
};

// One call handed from the calling thread to the proxy's thread. It lives on the calling
// thread's stack; that thread waits until `done`, so the proxy's thread may write through it.
struct Job {
  uint32_t index = 0;
  const void* const* args = nullptr;
  void* result = nullptr;
  CallerThread* thread = nullptr;    // runs the callbacks for the call it passed
  std::shared_ptr<CallScope> scope;  // those callbacks (proxy's thread), cut when it is done
  std::vector<StoredCallback> registering;  // its stored callbacks, kept if it succeeds
  bool done = false;
  std::optional<std::string> error;
  std::optional<int> lastError;
};

// Calls from inside callbacks handle their own failures (finish); what reaches here is a bug,
// logged.
class LogTaskErrors final : public kj::TaskSet::ErrorHandler {
 public:
  explicit LogTaskErrors(spdlog::logger& logger) : logger_(logger) {}
  void taskFailed(kj::Exception&& e) override {
    logger_.error("proxy: a call from inside a callback failed in its task: {}", e.getDescription().cStr());
  }

 private:
  spdlog::logger& logger_;
};

}  // namespace

struct Proxy::Impl {
  explicit Impl(const ProxySpec& s)
      : spec(s), logger(makeStderrLogger("bitbridge")), pid(currentProcessId()) {}

  ProxySpec spec;
  std::shared_ptr<spdlog::logger> logger;
  uint32_t pid;  // the process that may use the proxy's thread (not a child after fork)

  std::mutex mutex;
  std::condition_variable wake;  // the proxy's thread before it has an event loop: a job arrived
  std::condition_variable done;  // program-side threads: a job is done, or callback work came
  std::deque<Job*> queue;
  // The proxy's thread, idle in its event loop, waits for this (set while it waits).
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> jobSignal;
  std::once_flag started;
  // Program-side threads by id: the program's threads inside Proxy::call, by their outermost
  // call, and the stored-callback thread. A call from one of them comes from inside a callback.
  std::unordered_map<std::thread::id, CallerThread*> callers;
  // Calls from inside callbacks: queued here, signalled through immediateSignal, started at once
  // by the proxy's thread (serveImmediate); in flight in immediateRunning.
  std::deque<Job*> immediateQueue;
  std::vector<Job*> immediateRunning;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> immediateSignal;
  // The stored-callback thread's work (started with the first stored callback, never ends).
  CallerThread storedThread;
  bool storedThreadStarted = false;
  // programExiting(): stored callbacks are no longer run. Set without the lock: on Windows the
  // DLL's atexit handlers run after the other threads were ended, maybe holding it.
  std::atomic<bool> exiting{false};
  const bool never = false;  // the stored-callback thread's stop condition

  // Owned by the proxy's thread only.
  cbind::StructLayouts structs;  // the program's struct layouts, which `plans` point into
  std::vector<MethodPlan> plans;
  std::optional<std::string> planError;
  HandleTable handles;
  ProgramTexts texts;  // also used by release(), from any thread (its own lock)
  std::optional<Runtime> runtime;
  std::optional<Host> host;
  // By pointer: clang's std::optional refuses DynamicCapability::Client (its copy constructor
  // takes a non-const reference).
  std::unique_ptr<capnp::DynamicCapability::Client> library;
  std::unique_ptr<LogTaskErrors> taskErrors;
  kj::Own<kj::TaskSet> immediateTasks;  // calls from inside callbacks, in flight
  kj::Maybe<kj::Promise<void>> immediateServing;
  std::chrono::milliseconds callTimeout{0};  // BITBRIDGE_CALL_TIMEOUT_MS, for calls from callbacks
  std::vector<StoredCallback> stored;  // held by the current host
  bool storedOnThisHost = false;       // the current host was given a stored callback
  bool deathReported = false;          // a call failed since the current host died

  CallbackSync sync() { return CallbackSync{mutex, done, exiting}; }
  void run();
  Job* nextJob();
  void planAll();
  void startLoop();
  void execute(Job& job);
  void dropHost();
  ScopeFor scopesFor(Job& job);
  void startStoredThread();
  void succeeded(Job& job);
  void dropRegistering(Job& job);
  std::string translate(const kj::Exception& e);
  kj::Promise<void> serveImmediate();
  void startImmediate(Job& job);
  void finish(Job& job, std::optional<std::string> error);
  void serveCallbacks(std::unique_lock<std::mutex>& lock, CallerThread& thread, const bool& stop);
};

void Proxy::Impl::finish(Job& job, std::optional<std::string> error) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = immediateRunning.begin(); it != immediateRunning.end(); ++it) {
      if (*it == &job) {
        immediateRunning.erase(it);
        break;
      }
    }
    if (job.done) return;
    if (error) job.error = std::move(error);
    if (job.scope) job.scope->open = false;  // a late call of its callbacks gets the default
    job.done = true;
  }
  done.notify_all();
}

std::string Proxy::Impl::translate(const kj::Exception& e) {
  return host ? std::string(host->translate(e).what()) : std::string(e.getDescription().cStr());
}

// The scope each callback parameter of `job` runs in: the job's own for callbacks for the call
// (its calling thread), a new stored one on the stored-callback thread for the others.
ScopeFor Proxy::Impl::scopesFor(Job& job) {
  return [this, &job](size_t i) -> std::shared_ptr<CallScope> {
    const ParamPlan& p = plans[job.index].params[i];
    if (p.lifetime == CallbackLifetime::Call) {
      if (!job.scope) job.scope = std::make_shared<CallScope>(sync(), job.thread, false);
      return job.scope;
    }
    startStoredThread();
    auto scope = std::make_shared<CallScope>(sync(), &storedThread, true);
    job.registering.push_back(StoredCallback{p.lifetime, p.releasedBy, scope});
    return scope;
  };
}

// The stored-callback thread: runs the program's stored callbacks, one at a time in the order
// the host called them, for the process's life (detached, like the proxy's thread).
void Proxy::Impl::startStoredThread() {
  std::lock_guard<std::mutex> lock(mutex);
  if (storedThreadStarted) return;
  std::thread t([this] {
    std::unique_lock<std::mutex> lock(mutex);
    serveCallbacks(lock, storedThread, never);
  });
  // Registered before the thread can take the lock: its calls into the proxy are immediate.
  callers.emplace(t.get_id(), &storedThread);
  t.detach();
  storedThreadStarted = true;
}

// After a call succeeded (proxy's thread): the stored callbacks it passed are the host's now;
// those its method releases ($C.releasedBy) are closed, so one still queued is not run.
void Proxy::Impl::succeeded(Job& job) {
  if (!job.registering.empty()) storedOnThisHost = true;
  for (auto& s : job.registering) stored.push_back(std::move(s));
  job.registering.clear();
  uint16_t ordinal = plans[job.index].method.getOrdinal();
  std::lock_guard<std::mutex> lock(mutex);
  for (auto it = stored.begin(); it != stored.end();) {
    if (it->lifetime == CallbackLifetime::Released && it->releasedBy == ordinal) {
      it->scope->open = false;
      it = stored.erase(it);
    } else {
      ++it;
    }
  }
}

// After a call failed: the host did not keep the stored callbacks it passed (or is gone).
void Proxy::Impl::dropRegistering(Job& job) {
  std::lock_guard<std::mutex> lock(mutex);
  for (auto& s : job.registering) s.scope->open = false;
  job.registering.clear();
}

// Calls from inside callbacks are started as they come, while the loop runs: while the proxy's
// thread waits for a call or for the next one.
kj::Promise<void> Proxy::Impl::serveImmediate() {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (immediateQueue.empty()) {
      immediateSignal = kj::mv(paf.fulfiller);
    } else {
      paf.fulfiller->fulfill();
    }
  }
  return paf.promise.then([this]() {
    std::deque<Job*> jobs;
    {
      std::lock_guard<std::mutex> lock(mutex);
      jobs.swap(immediateQueue);
      immediateRunning.insert(immediateRunning.end(), jobs.begin(), jobs.end());
    }
    for (Job* job : jobs) startImmediate(*job);
    return serveImmediate();
  });
}

void Proxy::Impl::startImmediate(Job& job) {
  try {
    if (!library || !host || !host->running()) {
      throw Error(ErrorKind::Disconnected,
                  "called from inside a callback while the proxy's host is gone (it died, or was "
                  "killed after a deadline); the next call from outside a callback starts a new one");
    }
    const MethodPlan& plan = plans[job.index];
    auto request = library->newRequest(plan.method);
    fillRequest(plan, spec.methods[job.index], job.args, handles, request, scopesFor(job));
    // Its own deadline (BITBRIDGE_CALL_TIMEOUT_MS from now, killing a hung host), since no call
    // of the program's may be waiting meanwhile (a stored callback fired while the program is
    // idle); the heartbeat and the host's death reach it through the loop it runs in.
    kj::Promise<capnp::Response<capnp::DynamicStruct>> sent =
        host->within(kj::Promise<capnp::Response<capnp::DynamicStruct>>(request.send()), callTimeout,
                     OnCallTimeout::KillHost, "a call from inside a callback");
    immediateTasks->add(sent.then(
        [this, &job](capnp::Response<capnp::DynamicStruct>&& response) {
          std::optional<std::string> error;
          try {
            job.lastError = writeResults(plans[job.index], spec.methods[job.index], job.args, job.result,
                                         response, handles, texts);
          } catch (const std::exception& e) {
            error = e.what();
          }
          if (error) {
            dropRegistering(job);
          } else {
            succeeded(job);
          }
          finish(job, std::move(error));
        },
        [this, &job](kj::Exception&& e) {
          dropRegistering(job);
          finish(job, translate(e));
        }));
  } catch (const std::exception& e) {
    dropRegistering(job);
    finish(job, std::string(e.what()));
  } catch (const kj::Exception& e) {
    dropRegistering(job);
    finish(job, translate(e));
  }
}

// On a program-side thread: runs the callbacks the proxy's thread hands `thread` until `stop`
// (a job of that thread is done; never, for the stored-callback thread).
void Proxy::Impl::serveCallbacks(std::unique_lock<std::mutex>& lock, CallerThread& thread, const bool& stop) {
  while (!stop) {
    auto& work = thread.work;
    if (work.empty()) {
      done.wait(lock);
      continue;
    }
    std::shared_ptr<CallbackWork> next = std::move(work.front());
    work.pop_front();
    // Its call ended, it was released, or the program is exiting: dropping it fails the host's
    // call (the fulfiller goes unfulfilled), which answers the library the declared default.
    if (!next->scope->open || (next->scope->stored && exiting)) continue;
    lock.unlock();
    next->run();
    next.reset();
    lock.lock();
  }
}

void Proxy::Impl::planAll() {
  // Every method, once: a schema that does not match the header fails every call with the
  // same message rather than some calls only.
  try {
    for (uint32_t i = 0; i < spec.methodCount; ++i) {
      const MethodSpec& m = spec.methods[i];
      auto method = spec.schema.getMethods()[m.method];
      MethodPlan plan = planMethod(spec.schema, method, structs);
      checkCTypes(plan, m, spec.schemaFile);
      plans.push_back(std::move(plan));
    }
  } catch (const std::exception& e) {
    planError = e.what();
  }
}

// Once the proxy's thread has a Runtime: calls from inside callbacks are served from then on.
void Proxy::Impl::startLoop() {
  taskErrors = std::make_unique<LogTaskErrors>(*logger);
  immediateTasks = kj::heap<kj::TaskSet>(*taskErrors);
  immediateServing = serveImmediate().eagerlyEvaluate([this](kj::Exception&& e) {
    logger->critical("proxy {}: calls from inside callbacks are no longer served: {}", spec.name,
                     e.getDescription().cStr());
  });
}

// The host is gone (it died, or was killed after a deadline): its tokens and stored callbacks
// died with it. Calls from inside callbacks still in flight fail now (their threads wait), and
// their requests are cancelled before the connection goes.
void Proxy::Impl::dropHost() {
  std::vector<Job*> left;
  {
    std::lock_guard<std::mutex> lock(mutex);
    left = immediateRunning;
    for (auto& s : stored) s.scope->open = false;
  }
  for (Job* j : left) finish(*j, std::string("its host is gone (it died, or was killed after a deadline)"));
  immediateTasks = kj::heap<kj::TaskSet>(*taskErrors);
  stored.clear();
  storedOnThisHost = false;
  library.reset();
  host.reset();
  handles.clear();
}

void Proxy::Impl::execute(Job& job) {
  if (planError) throw Error(ErrorKind::BadConfiguration, *planError);
  if (host && !host->running()) {
    uint32_t deadPid = host->pid();
    size_t lost = stored.size();
    bool reported = deathReported;
    dropHost();
    if (lost == 0 || reported) {
      logger->warn("proxy {}: its host (pid {}) is gone; starting a new one", spec.name, deadPid);
    } else {
      // Not silently: the program's registrations did not survive, and the new host's library
      // has none. This call tells it; the next one starts the new host.
      deathReported = true;
      throw Error(ErrorKind::Disconnected,
                  "its host (pid " + std::to_string(deadPid) + ") died with " + std::to_string(lost) +
                      " stored callback(s) registered; they will not be called again, and the "
                      "library in the next host has none registered",
                  "register the callbacks again: the next call starts a new host");
    }
  }
  if (!host) {
    ProxySettings settings = readProxySettings(spec.name, spec.defaultLibrary);
    if (!runtime) {
      runtime.emplace(RuntimeOptions{logger});
      startLoop();
    }
    try {
      Host started = Host::spawn(*runtime, settings.host);
      library = std::make_unique<capnp::DynamicCapability::Client>(
          started.bindAny(settings.library, spec.schema).castAs<capnp::DynamicCapability>(spec.schema));
      logger->info("proxy {}: {} bound in host pid {}", spec.name, settings.library, started.pid());
      host.emplace(std::move(started));
      callTimeout = settings.host.callTimeout;
      deathReported = false;
    } catch (const Error& e) {
      // Say where the library's path came from: the user's fix may be that variable.
      std::string variable = libraryVariable(spec.name);
      bool fromEnv = settings.library != spec.defaultLibrary;
      throw Error(e.kind(), "binding " + settings.library + " (" +
                                (fromEnv ? "from " + variable : "built in; " + variable + " overrides it") +
                                "): " + e.message(),
                  e.hint());
    }
  }
  const MethodPlan& plan = plans[job.index];
  const MethodSpec& m = spec.methods[job.index];
  auto request = library->newRequest(plan.method);
  fillRequest(plan, m, job.args, handles, request, scopesFor(job));
  // The loop runs meanwhile: the host's calls of callbacks, and calls from inside them.
  auto response = host->wait(request.send());
  job.lastError = writeResults(plan, m, job.args, job.result, response, handles, texts);
}

// The next call in arrival order. Once the host holds a stored callback (it may fire it at any
// time, and one fired just before its release may still be on its way), or a call from inside a
// callback is queued or in flight, the thread waits inside its event loop, so those are served
// while the program makes no call. Otherwise it waits on the condition variable, which wakes a
// little faster than the loop's cross-thread wake-up: a program without stored callbacks keeps
// the latency it had.
Job* Proxy::Impl::nextJob() {
  for (;;) {
    kj::Maybe<kj::Promise<void>> arrival;
    {
      std::unique_lock<std::mutex> lock(mutex);
      if (!queue.empty()) {
        Job* job = queue.front();
        queue.pop_front();
        return job;
      }
      if (!runtime) {
        wake.wait(lock, [&] { return !queue.empty(); });
        continue;
      }
      if (!storedOnThisHost && immediateQueue.empty() && immediateRunning.empty()) {
        wake.wait(lock, [&] { return !queue.empty() || !immediateQueue.empty(); });
        continue;
      }
      auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
      jobSignal = kj::mv(paf.fulfiller);
      arrival = kj::mv(paf.promise);
    }
    KJ_IF_MAYBE(promise, arrival) {
      try {
        promise->wait(runtime->waitScope());
      } catch (const kj::Exception& e) {
        logger->error("proxy {}: waiting for the next call: {}", spec.name, e.getDescription().cStr());
      }
    }
    std::lock_guard<std::mutex> lock(mutex);
    jobSignal = nullptr;  // fulfilled (and dropped) by a caller, unless the wait ended otherwise
  }
}

void Proxy::Impl::run() {
  planAll();
  for (;;) {
    Job* job = nextJob();
    std::optional<std::string> error;
    bool hostGone = false;  // the failure says the host died or was killed
    try {
      execute(*job);
    } catch (const Error& e) {
      error = e.what();
      hostGone = e.kind() == ErrorKind::Disconnected || e.kind() == ErrorKind::TimedOut;
    } catch (const kj::Exception& e) {
      Error translated = host ? host->translate(e) : Error(ErrorKind::Disconnected, e.getDescription().cStr());
      error = translated.what();
      hostGone = translated.kind() == ErrorKind::Disconnected || translated.kind() == ErrorKind::TimedOut;
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "an unknown exception";
    }
    if (error) {
      dropRegistering(*job);
      // This call told the program that its host is gone (its death may be noticed only later).
      if (hostGone || (host && !host->running())) deathReported = true;
    } else {
      succeeded(*job);
    }
    finish(*job, std::move(error));
  }
}

Proxy::Proxy(const ProxySpec& spec) : impl_(new Impl(spec)) {}

// Never run by generated code (see proxy.h). A Proxy destroyed anyway leaves its state to the
// thread that may still be using it.
Proxy::~Proxy() { (void)impl_.release(); }

void Proxy::programExiting() noexcept { impl_->exiting = true; }

void Proxy::release(const char* function, void* p) noexcept {
  try {
    std::string error = impl_->texts.release(function, p);
    if (!error.empty()) impl_->logger->error("proxy {}: {}", impl_->spec.name, error);
  } catch (const std::exception& e) {
    impl_->logger->error("proxy {}: {}(): {}", impl_->spec.name, function, e.what());
  }
}

bool Proxy::call(uint32_t index, const void* const* args, void* result) noexcept {
  Impl& d = *impl_;
  Job job;
  job.index = index;
  job.args = args;
  job.result = result;
  if (currentProcessId() != d.pid) {
    job.error = "called in a child process after fork(); the proxy's thread and host belong to "
                "process " + std::to_string(d.pid) + " (fix: call the library in the parent, or "
                "exec a program in the child)";
  } else {
    try {
      std::call_once(d.started, [&] { std::thread([&d] { d.run(); }).detach(); });
      std::unique_lock<std::mutex> lock(d.mutex);
      CallerThread mine;
      auto self = std::this_thread::get_id();
      auto found = d.callers.find(self);
      bool nested = found != d.callers.end();
      if (nested) {
        // From inside a callback: served at once by the proxy's thread, which may be waiting
        // for the call that runs this callback.
        job.thread = found->second;
        if (job.thread->outerDone != nullptr && *job.thread->outerDone) {
          job.error = "called from inside a callback whose call has already ended (its host is "
                      "gone or its deadline passed)";
          job.done = true;
        } else {
          d.immediateQueue.push_back(&job);
          if (d.immediateSignal) {
            d.immediateSignal->fulfill();
            d.immediateSignal = nullptr;
          }
          d.wake.notify_one();  // idle on the condition variable: into its loop
        }
      } else {
        mine.outerDone = &job.done;
        job.thread = &mine;
        d.callers.emplace(self, &mine);
        d.queue.push_back(&job);
        if (d.jobSignal) {
          d.jobSignal->fulfill();  // idle in its event loop
          d.jobSignal = nullptr;
        }
        d.wake.notify_one();  // or on the condition variable
      }
      d.serveCallbacks(lock, *job.thread, job.done);
      if (!nested) d.callers.erase(self);
    } catch (const std::exception& e) {
      job.error = std::string("the proxy's thread could not start: ") + e.what();
    }
  }
  const MethodSpec& m = d.spec.methods[index];
  if (!job.error) {
    if (job.lastError) setCallersLastError(*job.lastError);
    return true;
  }
  if (m.failureDeclared) {
    d.logger->error("proxy {}: {} failed; returning its declared failure ({}): {}", d.spec.name,
                    m.symbol, m.failureText, *job.error);
    return false;
  }
  d.logger->critical(
      "proxy {}: {} failed, and {} declares no $C.onFailure for it, so the proxy has no value "
      "to return that its caller would read as a failure; aborting: {} (fix: declare "
      "$C.onFailure(result = \"<a C error value>\", errno = \"<an errno>\") on the method or "
      "the interface, and build the proxy again)",
      d.spec.name, m.symbol, d.spec.schemaFile, *job.error);
  d.logger->flush();
  std::abort();
}

}  // namespace bitbridge::proxy
