// Proxy: the state behind a generated drop-in library (bitbridge/proxy.h). Calls from any
// thread are queued to one thread of the proxy's own, which owns the Runtime (a KJ event loop
// belongs to one thread), the Host and the bound library, and runs them one at a time; the
// calling thread waits for its call. That thread starts on the first call and lives until the
// process exits, as the Proxy does (never destroyed: see proxy.h).
//
// Callbacks (proxy_callbacks.h): while a call that passed a C function pointer runs, the
// proxy's thread serves the host's calls of it by handing them to the calling thread, which
// waits in Proxy::call and runs them; a call the program makes from inside its callback (on that
// thread: nested) is handed to the proxy's thread through a cross-thread fulfiller and served in
// the same wait, never queued behind the call that is waiting for it.
#include "bitbridge/proxy.h"

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

// One call handed from the calling thread to the proxy's thread. It lives on the calling
// thread's stack; that thread waits until `done`, so the proxy's thread may write through it.
struct Job {
  uint32_t index = 0;
  const void* const* args = nullptr;
  void* result = nullptr;
  CallerThread* thread = nullptr;    // the calling thread, which runs the callbacks it passed
  std::shared_ptr<CallScope> scope;  // those callbacks (proxy's thread), cut when it is done
  bool done = false;
  std::optional<std::string> error;
  std::optional<int> lastError;
};

}  // namespace

struct Proxy::Impl {
  explicit Impl(const ProxySpec& s)
      : spec(s), logger(makeStderrLogger("bitbridge")), pid(currentProcessId()) {}

  ProxySpec spec;
  std::shared_ptr<spdlog::logger> logger;
  uint32_t pid;  // the process that may use the proxy's thread (not a child after fork)

  std::mutex mutex;
  std::condition_variable wake;  // the proxy's thread: a job arrived
  std::condition_variable done;  // callers: a job is done
  std::deque<Job*> queue;
  std::once_flag started;
  std::optional<std::string> threadError;
  // The program's threads inside Proxy::call, by their outermost call: one found here is
  // calling from inside a callback (nested).
  std::unordered_map<std::thread::id, CallerThread*> callers;
  // Nested calls, while the proxy's thread waits for a call that passed callbacks
  // (nestedOpen): queued here, signalled through nestedSignal, started in that wait; in flight
  // in nestedRunning. All guarded by `mutex`.
  bool nestedOpen = false;
  std::deque<Job*> nestedQueue;
  std::vector<Job*> nestedRunning;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> nestedSignal;

  // Owned by the proxy's thread only.
  cbind::StructLayouts structs;  // the program's struct layouts, which `plans` point into
  std::vector<MethodPlan> plans;
  std::optional<std::string> planError;
  HandleTable handles;
  InternedTexts texts;

  void run();
  void planAll();
  void execute(Job& job, std::optional<Runtime>& runtime, std::optional<Host>& host,
               std::unique_ptr<capnp::DynamicCapability::Client>& library);
  capnp::Response<capnp::DynamicStruct> waitServingNested(
      kj::Promise<capnp::Response<capnp::DynamicStruct>> call, Host& host,
      capnp::DynamicCapability::Client& library);
  kj::Promise<void> serveNested(kj::TaskSet& tasks, Host& host, capnp::DynamicCapability::Client& library);
  void startNested(Job& job, kj::TaskSet& tasks, Host& host, capnp::DynamicCapability::Client& library);
  void finish(Job& job, std::optional<std::string> error);
  void serveCallbacksUntilDone(std::unique_lock<std::mutex>& lock, Job& job);
};

namespace {
// Nested calls handle their own failures (finish); what reaches here is a bug, logged.
class LogTaskErrors final : public kj::TaskSet::ErrorHandler {
 public:
  explicit LogTaskErrors(spdlog::logger& logger) : logger_(logger) {}
  void taskFailed(kj::Exception&& e) override {
    logger_.error("proxy: a nested call's task failed: {}", e.getDescription().cStr());
  }

 private:
  spdlog::logger& logger_;
};

bool passesCallbacks(const MethodPlan& plan) {
  for (const auto& p : plan.params) {
    if (p.role == ParamRole::Callback) return true;
  }
  return false;
}
}  // namespace

void Proxy::Impl::finish(Job& job, std::optional<std::string> error) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = nestedRunning.begin(); it != nestedRunning.end(); ++it) {
      if (*it == &job) {
        nestedRunning.erase(it);
        break;
      }
    }
    if (job.done) return;
    if (error) job.error = std::move(error);
    if (job.scope) job.scope->open = false;
    job.done = true;
  }
  done.notify_all();
}

// The host's calls of the program's callbacks arrive while the proxy's thread waits here (the
// event loop runs); the program's nested calls are started here too, until the call is done.
capnp::Response<capnp::DynamicStruct> Proxy::Impl::waitServingNested(
    kj::Promise<capnp::Response<capnp::DynamicStruct>> call, Host& host,
    capnp::DynamicCapability::Client& library) {
  LogTaskErrors errors(*logger);
  kj::TaskSet tasks(errors);
  {
    std::lock_guard<std::mutex> lock(mutex);
    nestedOpen = true;
  }
  // After the wait, however it ends: a nested call still queued or in flight (the host died,
  // the deadline passed) fails; its thread is waiting for it.
  KJ_DEFER({
    std::vector<Job*> left;
    {
      std::lock_guard<std::mutex> lock(mutex);
      nestedOpen = false;
      nestedSignal = nullptr;
      left.assign(nestedQueue.begin(), nestedQueue.end());
      left.insert(left.end(), nestedRunning.begin(), nestedRunning.end());
      nestedQueue.clear();
    }
    for (Job* j : left) {
      finish(*j, std::string("the call it was made from (inside a callback) ended first: its host "
                             "is gone or its deadline passed"));
    }
  });
  auto serving = serveNested(tasks, host, library).eagerlyEvaluate(nullptr);
  return host.wait(kj::mv(call));
}

kj::Promise<void> Proxy::Impl::serveNested(kj::TaskSet& tasks, Host& host,
                                           capnp::DynamicCapability::Client& library) {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (nestedQueue.empty()) {
      nestedSignal = kj::mv(paf.fulfiller);
    } else {
      paf.fulfiller->fulfill();
    }
  }
  return paf.promise.then([this, &tasks, &host, &library]() {
    std::deque<Job*> jobs;
    {
      std::lock_guard<std::mutex> lock(mutex);
      jobs.swap(nestedQueue);
      nestedRunning.insert(nestedRunning.end(), jobs.begin(), jobs.end());
    }
    for (Job* job : jobs) startNested(*job, tasks, host, library);
    return serveNested(tasks, host, library);
  });
}

void Proxy::Impl::startNested(Job& job, kj::TaskSet& tasks, Host& host,
                              capnp::DynamicCapability::Client& library) {
  try {
    const MethodPlan& plan = plans[job.index];
    auto request = library.newRequest(plan.method);
    if (passesCallbacks(plan)) job.scope = std::make_shared<CallScope>(CallbackSync{mutex, done}, job.thread);
    fillRequest(plan, spec.methods[job.index], job.args, handles, request, job.scope);
    tasks.add(request.send().then(
        [this, &job](capnp::Response<capnp::DynamicStruct>&& response) {
          std::optional<std::string> error;
          try {
            job.lastError = writeResults(plans[job.index], spec.methods[job.index], job.args, job.result,
                                         response, handles, texts);
          } catch (const std::exception& e) {
            error = e.what();
          }
          finish(job, std::move(error));
        },
        [this, &job, &host](kj::Exception&& e) { finish(job, std::string(host.translate(e).what())); }));
  } catch (const std::exception& e) {
    finish(job, std::string(e.what()));
  } catch (const kj::Exception& e) {
    finish(job, std::string(host.translate(e).what()));
  }
}

// On the program's thread, in Proxy::call: runs the callbacks the proxy's thread hands this
// thread until `job` is done.
void Proxy::Impl::serveCallbacksUntilDone(std::unique_lock<std::mutex>& lock, Job& job) {
  while (!job.done) {
    auto& work = job.thread->work;
    if (work.empty()) {
      done.wait(lock);
      continue;
    }
    std::shared_ptr<CallbackWork> next = std::move(work.front());
    work.pop_front();
    if (!next->scope->open) continue;  // its call ended: the host has had its default already
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

void Proxy::Impl::execute(Job& job, std::optional<Runtime>& runtime, std::optional<Host>& host,
                          std::unique_ptr<capnp::DynamicCapability::Client>& library) {
  if (planError) throw Error(ErrorKind::BadConfiguration, *planError);
  if (host && !host->running()) {
    // The host died (or was killed after a deadline): its tokens died with it.
    logger->warn("proxy {}: its host (pid {}) is gone; starting a new one", spec.name, host->pid());
    library.reset();
    host.reset();
    handles.clear();
  }
  if (!host) {
    ProxySettings settings = readProxySettings(spec.name, spec.defaultLibrary);
    if (!runtime) runtime.emplace(RuntimeOptions{logger});
    try {
      Host started = Host::spawn(*runtime, settings.host);
      library = std::make_unique<capnp::DynamicCapability::Client>(
          started.bindAny(settings.library, spec.schema).castAs<capnp::DynamicCapability>(spec.schema));
      logger->info("proxy {}: {} bound in host pid {}", spec.name, settings.library, started.pid());
      host.emplace(std::move(started));
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
  if (!passesCallbacks(plan)) {
    fillRequest(plan, m, job.args, handles, request, nullptr);
    auto response = host->wait(request.send());
    job.lastError = writeResults(plan, m, job.args, job.result, response, handles, texts);
    return;
  }
  job.scope = std::make_shared<CallScope>(CallbackSync{mutex, done}, job.thread);
  fillRequest(plan, m, job.args, handles, request, job.scope);
  auto response = waitServingNested(request.send(), *host, *library);
  job.lastError = writeResults(plan, m, job.args, job.result, response, handles, texts);
}

void Proxy::Impl::run() {
  planAll();
  std::optional<Runtime> runtime;
  std::optional<Host> host;
  // By pointer: clang's std::optional refuses DynamicCapability::Client (its copy constructor
  // takes a non-const reference).
  std::unique_ptr<capnp::DynamicCapability::Client> library;
  for (;;) {
    Job* job;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return !queue.empty(); });
      job = queue.front();
      queue.pop_front();
    }
    try {
      execute(*job, runtime, host, library);
    } catch (const Error& e) {
      job->error = e.what();
    } catch (const kj::Exception& e) {
      job->error = host ? std::string(host->translate(e).what()) : std::string(e.getDescription().cStr());
    } catch (const std::exception& e) {
      job->error = e.what();
    } catch (...) {
      job->error = "an unknown exception";
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (job->scope) job->scope->open = false;  // a late call of its callbacks gets the default
      job->done = true;
    }
    done.notify_all();
  }
}

Proxy::Proxy(const ProxySpec& spec) : impl_(new Impl(spec)) {}

// Never run by generated code (see proxy.h). A Proxy destroyed anyway leaves its state to the
// thread that may still be using it.
Proxy::~Proxy() { (void)impl_.release(); }

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
        // From inside a callback: the proxy's thread is waiting for the call that runs it.
        job.thread = found->second;
        if (!d.nestedOpen) {
          job.error = "called from inside a callback whose call has already ended (its host is "
                      "gone or its deadline passed)";
          job.done = true;
        } else {
          d.nestedQueue.push_back(&job);
          if (d.nestedSignal) {
            d.nestedSignal->fulfill();
            d.nestedSignal = nullptr;
          }
        }
      } else {
        job.thread = &mine;
        d.callers.emplace(self, &mine);
        d.queue.push_back(&job);
        d.wake.notify_one();
      }
      d.serveCallbacksUntilDone(lock, job);
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
