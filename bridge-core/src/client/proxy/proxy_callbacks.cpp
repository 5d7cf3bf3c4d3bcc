#include "client/proxy/proxy_callbacks.h"

#include <cstring>

#include <kj/debug.h>

#include "bitbridge/error.h"
#include "client/proxy/proxy_scalars.h"
#include "client/proxy/proxy_structs.h"

namespace bitbridge::proxy {

void CallbackWork::run() {
  spec->invoke(fn, args.data(), result);
  done->fulfill();
}

namespace {

// The proxy's object behind one callback capability. Runs on the proxy's thread (the host's
// calls arrive in its event loop, which runs while it waits for a call and while it is idle).
class CallbackServer final : public capnp::DynamicCapability::Server {
 public:
  CallbackServer(const CallbackPlan& plan, const CallbackSpec& spec, void (*fn)(), void* user,
                 std::shared_ptr<CallScope> scope, HandleTable& handles)
      : capnp::DynamicCapability::Server(plan.iface),
        plan_(plan), spec_(spec), fn_(fn), user_(user), scope_(std::move(scope)), handles_(handles) {}

  kj::Promise<void> call(capnp::InterfaceSchema::Method,
                         capnp::CallContext<capnp::DynamicStruct, capnp::DynamicStruct> context) override {
    auto work = std::make_shared<CallbackWork>();
    work->spec = &spec_;
    work->fn = fn_;
    work->scope = scope_;
    prepare(*work, context.getParams());
    auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
    work->done = kj::mv(paf.fulfiller);
    {
      std::lock_guard<std::mutex> lock(scope_->sync.mutex);
      if (scope_->stored && scope_->sync.exiting) {
        KJ_FAIL_REQUIRE("the program is exiting: its stored callbacks are no longer called", plan_.name);
      }
      if (!scope_->open && scope_->stored) {
        // Fired in the window between unregistering and the host's release (an event in
        // flight), or after the host that held it died: the host answers the default.
        KJ_FAIL_REQUIRE("the program's stored callback was called after it was released (its "
                        "$C.releasedBy function returned)", plan_.name);
      }
      if (!scope_->open) {
        // The library kept a callback for the call beyond it: the host answers the default.
        KJ_FAIL_REQUIRE("the program's callback was called after the call that passed it returned "
                        "(the schema declares it for the call only)", plan_.name);
      }
      scope_->thread->work.push_back(work);
    }
    scope_->sync.wake.notify_all();
    const CallbackPlan* plan = &plan_;
    return paf.promise.then([plan, work, context]() mutable {
      if (!plan->resultField) return;
      const CType& r = work->spec->result;
      context.getResults().set(*plan->resultField,
                               toDynamic(readScalar(work->result, r.kind, r.size), plan->resultField->getType()));
    });
  }

 private:
  // The C arguments, in the program's own types (sizes measured by its compiler).
  void prepare(CallbackWork& work, capnp::DynamicStruct::Reader params) {
    size_t n = plan_.params.size();
    work.slots.assign(n, 0);
    work.args.resize(n);
    for (size_t j = 0; j < n; ++j) {
      const CallbackParamPlan& p = plan_.params[j];
      const CType& c = spec_.params[j];
      void* slot = &work.slots[j];
      work.args[j] = slot;
      switch (p.role) {
        case CallbackParamRole::Value:
          writeScalar(slot, c.kind, c.size, p.scalar, params.get(p.field),
                      plan_.name + ": parameter '" + p.name + "'");
          break;
        case CallbackParamRole::Text: {
          const char* s = nullptr;
          if (params.has(p.field)) {
            work.texts.emplace_back(params.get(p.field).as<capnp::Text>().cStr());
            s = work.texts.back().c_str();
          }
          std::memcpy(slot, &s, sizeof s);
          break;
        }
        case CallbackParamRole::Struct: {
          // Laid out here, in the program's ABI, for as long as the call of its function.
          const void* s = nullptr;
          if (params.has(p.field)) {
            work.structs.emplace_back(p.layout->size);
            structFromResponse(*p.layout, params.get(p.field), work.structs.back().data(), handles_,
                               plan_.name + ": parameter '" + p.name + "'");
            s = work.structs.back().data();
          }
          std::memcpy(slot, &s, sizeof s);
          break;
        }
        case CallbackParamRole::User:
          std::memcpy(slot, &user_, sizeof user_);
          break;
      }
    }
  }

  const CallbackPlan& plan_;
  const CallbackSpec& spec_;
  void (*fn_)();
  void* user_;
  std::shared_ptr<CallScope> scope_;
  HandleTable& handles_;
};

}  // namespace

capnp::DynamicCapability::Client callbackCapability(const CallbackPlan& plan, const CallbackSpec& spec,
                                                    void (*fn)(), void* user,
                                                    std::shared_ptr<CallScope> scope, HandleTable& handles) {
  return kj::heap<CallbackServer>(plan, spec, fn, user, std::move(scope), handles);
}

}  // namespace bitbridge::proxy
