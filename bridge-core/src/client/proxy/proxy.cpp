// Proxy: the state behind a generated drop-in library (bitbridge/proxy.h). Calls from any
// thread are queued to one thread of the proxy's own, which owns the Runtime (a KJ event loop
// belongs to one thread), the Host and the bound library, and runs them one at a time; the
// calling thread waits for its call. That thread starts on the first call and lives until the
// process exits, as the Proxy does (never destroyed: see proxy.h).
#include "bitbridge/proxy.h"

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <capnp/dynamic.h>
#include <spdlog/logger.h>

#include "bitbridge/host.h"
#include "client/proxy/caller_last_error.h"
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
};

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
  fillRequest(plan, m, job.args, handles, request);
  auto response = host->wait(request.send());
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
      d.queue.push_back(&job);
      d.wake.notify_one();
      d.done.wait(lock, [&] { return job.done; });
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
