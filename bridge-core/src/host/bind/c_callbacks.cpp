// c_callbacks.h
#include "host/bind/c_callbacks.h"

#include <cstdlib>
#include <cstring>

#include <capnp/message.h>
#include <kj/debug.h>

#include "bitbridge/error.h"
#include "host/bind/c_ffi_types.h"
#include "common/cabi/c_values.h"
#include "host/components/library_thread.h"

namespace bitbridge::cbind {

// One firing of a callback, shared by the thread that fired it (waiting) and the RPC thread
// (calling the client). Completed once: by the answer, a failure, or the binding's end.
struct CallbackInvocation {
  uint64_t capId = 0;
  // Shared: the firer may give up and its closure go before the RPC thread is done with it.
  std::shared_ptr<const CallbackPlan> plan;
  kj::Own<capnp::MallocMessageBuilder> params;  // the callback's params, built by the firer
  LibraryThread* waiter = nullptr;  // the LibraryThread waiting, or null (its own cv)

  std::mutex mutex;
  std::condition_variable answered;
  std::atomic<bool> done{false};
  uint64_t result = 0;  // guarded by mutex until done
  std::string failure;  // guarded by mutex until done

  void complete(uint64_t bits, std::string why) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (done.load()) return;  // answered already (a late failure or the binding's end)
      result = bits;
      failure = std::move(why);
      done.store(true);
    }
    answered.notify_all();
    if (waiter != nullptr) waiter->wake();
  }
  void fail(std::string why) { complete(plan->fallback, std::move(why)); }
};

namespace {

// libffi wants an integer return narrower than a register widened to a whole ffi_arg.
void storeClosureReturn(CKind kind, uint64_t bits, void* ret) {
  if (kind == CKind::Void) return;
  bool integer = kind != CKind::F32 && kind != CKind::F64;
  if (!integer || cSize(kind) >= sizeof(ffi_arg)) {
    std::memcpy(ret, &bits, cSize(kind));
    return;
  }
  Wide w = loadScalar(kind, &bits);
  if (w.cls == Wide::Signed) {
    ffi_sarg v = static_cast<ffi_sarg>(w.i);
    std::memcpy(ret, &v, sizeof(v));
  } else {
    ffi_arg v = static_cast<ffi_arg>(w.u);
    std::memcpy(ret, &v, sizeof(v));
  }
}

// The C arguments of a firing as the callback method's params (on the firing thread: the
// pointers it reads are valid only while the library waits for the answer).
void encodeArguments(const CallbackPlan& plan, void** args, capnp::DynamicStruct::Builder params,
                     HandleTable& handles) {
  CallScratch scratch;
  CodecContext context{scratch, handles};
  for (size_t i = 0; i < plan.args.size(); ++i) {
    const CallbackArgPlan& a = plan.args[i];
    switch (a.role) {
      case CallbackArgPlan::Role::Value:
        params.set(a.param, toDynamic(a.param.getType(), loadScalar(a.kind, args[i])));
        break;
      case CallbackArgPlan::Role::Text: {
        const char* text = nullptr;
        std::memcpy(&text, args[i], sizeof(text));
        if (text != nullptr) params.set(a.param, capnp::Text::Reader(text));
        break;
      }
      case CallbackArgPlan::Role::Struct: {
        const unsigned char* at = nullptr;
        std::memcpy(&at, args[i], sizeof(at));
        if (at != nullptr) {
          decodeStruct(*a.layout, at, params.init(a.param).as<capnp::DynamicStruct>(), context);
        }
        break;
      }
      case CallbackArgPlan::Role::User: break;  // the host's own context: never sent
    }
  }
}

thread_local CallbackFailureScope* tFailureScope = nullptr;

}  // namespace

// ---- CallbackHub ----------------------------------------------------------------------------

CallbackHub::CallbackHub(std::shared_ptr<capnp::SchemaLoader> schemas,
                         std::shared_ptr<const void> keepAlive,
                         std::shared_ptr<HandleTable> handles,
                         std::shared_ptr<spdlog::logger> logger)
    : schemas_(std::move(schemas)),
      keepAlive_(std::move(keepAlive)),
      handles_(std::move(handles)),
      logger_(std::move(logger)),
      rpcThread_(std::this_thread::get_id()) {}

bool CallbackHub::post(std::shared_ptr<CallbackInvocation> invocation) {
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    queue_.push_back(std::move(invocation));
    wake = kj::mv(wake_);
  }
  if (wake.get() != nullptr) wake->fulfill();
  return true;
}

uint64_t CallbackHub::invoke(uint64_t capId, const std::shared_ptr<const CallbackPlan>& shared,
                             void** args, std::string& failure) {
  const CallbackPlan& plan = *shared;
  if (std::this_thread::get_id() == rpcThread_) {
    failure = "the library called it on the host's RPC thread, which must carry the call";
    return plan.fallback;
  }
  auto invocation = std::make_shared<CallbackInvocation>();
  invocation->capId = capId;
  invocation->plan = shared;
  invocation->params = kj::heap<capnp::MallocMessageBuilder>();
  try {
    auto params =
        invocation->params->initRoot<capnp::DynamicStruct>(plan.method.getParamType());
    encodeArguments(plan, args, params, *handles_);
  } catch (const Error& e) {
    failure = std::string("its arguments could not be converted: ") + e.what();
    return plan.fallback;
  } catch (const kj::Exception& e) {
    failure = std::string("its arguments could not be converted: ") + e.getDescription().cStr();
    return plan.fallback;
  }
  invocation->waiter = LibraryThread::current();
  if (!post(invocation)) {
    failure = "its binding was released";
    return plan.fallback;
  }
  if (invocation->waiter != nullptr) {
    // Serves nested calls meanwhile; gives up when the call it fired in was cancelled.
    if (!invocation->waiter->serveUntil([&] { return invocation->done.load(); })) {
      failure = "the call it fired in was cancelled (its client went away) before it answered";
      return plan.fallback;
    }
  } else {
    std::unique_lock<std::mutex> lock(invocation->mutex);
    invocation->answered.wait(lock, [&] { return invocation->done.load(); });
  }
  std::lock_guard<std::mutex> lock(invocation->mutex);
  failure = invocation->failure;
  return invocation->result;
}

void CallbackHub::arm(kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.empty() && !closed_) {
      wake_ = kj::mv(wake);
      return;
    }
  }
  wake->fulfill();
}

std::deque<std::shared_ptr<CallbackInvocation>> CallbackHub::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(queue_, {});
}

void CallbackHub::close() {
  std::deque<std::shared_ptr<CallbackInvocation>> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    waiting = std::exchange(queue_, {});
    wake_ = nullptr;
  }
  for (auto& invocation : waiting) invocation->fail("its binding was released");
}

// ---- ClosureRecord --------------------------------------------------------------------------

ClosureRecord::ClosureRecord(std::shared_ptr<const CallbackPlan> plan,
                             std::shared_ptr<CallbackHub> hub, uint64_t capId)
    : plan_(std::move(plan)), capId_(capId), hub_(std::move(hub)) {
  for (const auto& a : plan_->args) types_.push_back(scalarFfiType(a.kind));
  ffi_status status =
      ffi_prep_cif(&cif_, ffiAbi(plan_->stdcall), static_cast<unsigned>(types_.size()),
                   scalarFfiType(plan_->returnKind), types_.data());
  if (status != FFI_OK) {
    throw Error(ErrorKind::BadConfiguration, plan_->where + ": libffi cannot describe callback " +
                                                 plan_->name + " (ffi_prep_cif status " +
                                                 std::to_string(int(status)) + ")");
  }
  closure_ = static_cast<ffi_closure*>(ffi_closure_alloc(sizeof(ffi_closure), &code_));
  if (closure_ == nullptr) {
    throw Error(ErrorKind::Overloaded,
                plan_->where + ": no executable memory for a callback's closure",
                "release stored callbacks the library no longer needs");
  }
  status = ffi_prep_closure_loc(closure_, &cif_, &ClosureRecord::entry, this, code_);
  if (status != FFI_OK) {
    ffi_closure_free(closure_);
    throw Error(ErrorKind::BadConfiguration, plan_->where + ": libffi cannot make a closure for " +
                                                 plan_->name + " (status " +
                                                 std::to_string(int(status)) + ")");
  }
}

ClosureRecord::~ClosureRecord() { ffi_closure_free(closure_); }

void ClosureRecord::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  hub_.reset();
}

std::shared_ptr<CallbackHub> ClosureRecord::hub() {
  std::lock_guard<std::mutex> lock(mutex_);
  return hub_;
}

// Called by the library, on whatever thread it likes. No exception may leave: C frames are
// between here and the bound call.
void ClosureRecord::entry(ffi_cif*, void* ret, void** args, void* self) {
  auto* record = static_cast<ClosureRecord*>(self);
  record->active_.fetch_add(1);
  KJ_DEFER(record->active_.fetch_sub(1));
  const CallbackPlan& plan = *record->plan_;
  uint64_t answer = plan.fallback;
  std::string failure;
  std::shared_ptr<CallbackHub> hub;
  try {
    hub = record->hub();
    if (hub) answer = hub->invoke(record->capId_, record->plan_, args, failure);
  } catch (const std::exception& e) {
    failure = e.what();
    answer = plan.fallback;
  } catch (...) {
    failure = "an unknown exception";
    answer = plan.fallback;
  }
  if (!failure.empty()) {
    std::string message = "callback " + plan.name + " (" + plan.where + ") answered its default: " +
                          failure;
    if (!CallbackFailureScope::report(message) && hub) {
      hub->logger().warn("{}", message);  // fired outside a bound call: nobody else to tell
    }
  }
  storeClosureReturn(plan.returnKind, answer, ret);
}

// ---- CallbackServer -------------------------------------------------------------------------

namespace {

// How long a released closure's code stays valid: BITBRIDGE_CALLBACK_GRACE_MS, default 10 s.
std::chrono::milliseconds releasedClosureGrace() {
  const char* text = std::getenv("BITBRIDGE_CALLBACK_GRACE_MS");
  if (text != nullptr && *text != '\0') {
    char* end = nullptr;
    unsigned long long value = std::strtoull(text, &end, 10);
    if (end != nullptr && *end == '\0') return std::chrono::milliseconds(value);
  }
  return std::chrono::seconds(10);
}

}  // namespace

CallbackServer::CallbackServer(std::shared_ptr<CallbackHub> hub)
    : hub_(std::move(hub)), grace_(releasedClosureGrace()), tasks_(*this) {
  pump_ = pump().eagerlyEvaluate([this](kj::Exception&& e) {
    hub_->logger().error("callbacks stopped: {}", e.getDescription().cStr());
  });
}

CallbackServer::~CallbackServer() noexcept(false) {
  hub_->close();
  for (auto& entry : stored_) {
    for (ClosureRecord* record : entry.second) record->release();
  }
  freeReleased();
  // Released ones still in their grace period stay allocated: nobody is left to free them
  // later, and freeing them early could pull the code from under a late library thread.
  for (auto& released : released_) (void)released.record.release();
  caps_.clear();
  // tasks_ goes next (members in reverse order: pump_, then tasks_): each request in flight
  // answers its fallback as it is cancelled.
}

kj::Promise<void> CallbackServer::pump() {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  hub_->arm(kj::mv(paf.fulfiller));
  return paf.promise.then([this]() {
    for (auto& invocation : hub_->take()) dispatch(kj::mv(invocation));
    return pump();
  });
}

void CallbackServer::dispatch(std::shared_ptr<CallbackInvocation> invocation) {
  auto cap = caps_.find(invocation->capId);
  if (cap == caps_.end()) {
    invocation->fail("it was released");
    return;
  }
  const CallbackPlan& plan = *invocation->plan;
  auto request = cap->second->newRequest(plan.method);
  auto paramType = plan.method.getParamType();
  auto source = invocation->params->getRoot<capnp::DynamicStruct>(paramType).asReader();
  for (auto field : paramType.getFields()) {
    if (source.has(field)) request.set(field, source.get(field));
  }
  tasks_.add(request.send()
                 .then(
                     [invocation](capnp::Response<capnp::DynamicStruct>&& response) {
                       const CallbackPlan& plan = *invocation->plan;
                       uint64_t bits = 0;
                       if (plan.returnField) {
                         try {
                           storeScalar(plan.returnKind, fromDynamic(response.get(*plan.returnField)),
                                       &bits, plan.where + ", callback " + plan.name + " result");
                         } catch (const Error& e) {
                           invocation->fail(std::string("its answer does not fit: ") + e.what());
                           return;
                         }
                       }
                       invocation->complete(bits, {});
                     },
                     [invocation](kj::Exception&& e) {
                       invocation->fail(std::string("the client's object failed: ") +
                                        e.getDescription().cStr());
                     })
                 .attach(kj::defer([invocation] {
                   // Cancelled before an answer (the binding went): the library still gets one.
                   invocation->fail("its binding was released while it waited for the client");
                 })));
}

void CallbackServer::taskFailed(kj::Exception&& exception) {
  hub_->logger().warn("a callback request failed: {}", exception.getDescription().cStr());
}

CallbackArguments CallbackServer::prepare(const FunctionPlan& plan,
                                          capnp::DynamicStruct::Reader params) {
  CallbackArguments out;
  out.code.resize(plan.args.size());
  out.user.resize(plan.args.size());
  for (size_t i = 0; i < plan.args.size(); ++i) {
    const ArgPlan& arg = plan.args[i];
    if (arg.role != ArgRole::Callback) continue;
    if (!params.has(arg.param)) {
      if (arg.nullable) continue;  // NULL
      throw Error(ErrorKind::BadConfiguration,
                  arg.callback->where + " is not set, and NULL is not allowed",
                  "pass an object implementing " + arg.callback->name +
                      ", or annotate the parameter $nullable if the function accepts NULL");
    }
    auto cap = params.get(arg.param).as<capnp::DynamicCapability>();
    uint64_t id = nextCap_++;
    auto record = std::make_unique<ClosureRecord>(arg.callback, hub_, id);
    caps_.emplace(id, std::make_unique<capnp::DynamicCapability::Client>(kj::mv(cap)));
    out.code[i] = record->code();
    out.user[i] = record.get();  // the host's own context: the client never sees it
    if (arg.callback->lifetime == CallbackPlan::Lifetime::Call) {
      out.callScopedCaps.push_back(id);
      out.callScoped.push_back(std::move(record));
    } else {
      stored_[{plan.methodIndex, uint16_t(i)}].push_back(record.release());
    }
  }
  return out;
}

void CallbackServer::finish(const FunctionPlan& plan, const std::vector<uint64_t>& callScopedCaps) {
  for (uint64_t id : callScopedCaps) caps_.erase(id);
  for (const CallbackRef& ref : plan.releasesCallbacks) {
    auto found = stored_.find({ref.function, ref.arg});
    if (found == stored_.end()) continue;
    auto now = std::chrono::steady_clock::now();
    for (ClosureRecord* record : found->second) {
      record->release();  // its code stays valid (the library may fire it once more): default
      caps_.erase(record->capId());
      released_.push_back({std::unique_ptr<ClosureRecord>(record), now});
    }
    found->second.clear();
  }
  freeReleased();
}

void CallbackServer::freeReleased() {
  if (released_.empty()) return;
  auto now = std::chrono::steady_clock::now();
  uint64_t freed = 0;
  for (auto it = released_.begin(); it != released_.end() && now - it->at >= grace_;) {
    if (it->record->busy()) {  // a library thread is inside it: next time
      ++it;
      continue;
    }
    it = released_.erase(it);
    ++freed;
  }
  if (freed == 0) return;
  freed_ += freed;
  hub_->logger().debug("callbacks: freed {} released closure(s) ({} in all); {} in their grace "
                       "period",
                       freed, freed_, released_.size());
}

// ---- CallbackFailureScope -------------------------------------------------------------------

CallbackFailureScope::CallbackFailureScope() : previous_(tFailureScope) { tFailureScope = this; }

CallbackFailureScope::~CallbackFailureScope() { tFailureScope = previous_; }

bool CallbackFailureScope::report(const std::string& failure) {
  CallbackFailureScope* scope = tFailureScope;
  if (scope == nullptr) return false;
  if (scope->count_++ == 0) scope->first_ = failure;
  return true;
}

}  // namespace bitbridge::cbind
