#include "host/com/com_events-win32.h"

#include <windows.h>
#include <objbase.h>
#include <ocidl.h>
#include <oleauto.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include <kj/common.h>
#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/platform/com_errors-win32.h"
#include "common/platform/text-win32.h"
#include "host/com/client_answer-win32.h"
#include "host/com/type_text-win32.h"

namespace bitbridge {
namespace {

// What the sink object and the connection share. `sink` is the client's capability: set,
// used and dropped on the RPC thread only (cleared there before the link can be freed anywhere
// else), empty once the client unadvised or went away.
struct EventLink {
  kj::Maybe<proto::EventSink::Client> sink;  // RPC thread only
  bool connected = false;                    // RPC thread only: a connection owns the sink
  std::shared_ptr<LoopInbox> inbox;
  WrapComObject wrap;
  std::shared_ptr<spdlog::logger> logger;
  std::string source;  // "Class/EventInterface", for the log
  DWORD answerTimeoutMs = INFINITE;  // how long the apartment waits for one answer
};

// Sends one event to the client (RPC thread).
void sendEvent(const std::shared_ptr<EventLink>& link, std::shared_ptr<AnswerGuard> answer,
               int32_t dispid, const std::string& name, std::vector<ComVariant>& args) {
  KJ_IF_MAYBE(sink, link->sink) {
    auto request = sink->eventRequest();
    request.setDispid(dispid);
    request.setName(name);
    try {
      auto list = request.initArgs(static_cast<unsigned>(args.size()));
      for (unsigned i = 0; i < args.size(); ++i) variantToWire(args[i], list[i], link->wrap);
    } catch (const Error& error) {
      answer->pending->fail(DISP_E_EXCEPTION, error.message());
      return;
    }
    request.send()
        .then(
            [answer, name](capnp::Response<proto::EventSink::EventResults>&& response) {
              UnwrapComObject refuse = [](capnp::Capability::Client, bool)
                  -> std::shared_ptr<ComObjectHandle> {
                throw Error(ErrorKind::Unimplemented,
                            "an object given back by reference from an event handler",
                            "give back plain values");
              };
              std::vector<ComVariant> values;
              try {
                unsigned i = 0;
                for (auto value : response.getByRef()) {
                  values.push_back(variantFromWire(
                      value, refuse, "by-reference argument " + std::to_string(++i) +
                                         " of event " + name));
                }
              } catch (const Error& error) {
                answer->pending->fail(DISP_E_EXCEPTION, error.message());
                return;
              }
              answer->pending->answer(ComVariant(), std::move(values));
            },
            [answer](kj::Exception&& exception) {
              // The client's handler failed (its error, passed to the source), or the client
              // is gone.
              answer->pending->fail(failureOf(exception), fromKjException(exception).message());
            })
        .detach([](kj::Exception&&) {});
  } else {
    answer->pending->fail(S_OK, "the client unadvised");
  }
}

// The host's sink: the IDispatch the connection point calls, on the apartment thread.
class SinkObject final : public IDispatch {
 public:
  SinkObject(IID iid, ITypeInfo* info, std::weak_ptr<StaThread> apartment,
             std::shared_ptr<EventLink> link)
      : iid_(iid), info_(info), apartment_(std::move(apartment)), link_(std::move(link)) {
    if (info_ != nullptr) info_->AddRef();
  }

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override {
    if (out == nullptr) return E_POINTER;
    if (iid == IID_IUnknown || iid == IID_IDispatch || iid == iid_) {
      *out = static_cast<IDispatch*>(this);
      AddRef();
      return S_OK;
    }
    *out = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return ++references_; }
  ULONG STDMETHODCALLTYPE Release() override {
    long left = --references_;
    if (left == 0) delete this;
    return left;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override {
    *count = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT, LCID, ITypeInfo**) override { return E_NOTIMPL; }
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID, LPOLESTR* names, UINT count, LCID,
                                          DISPID* ids) override {
    if (info_ == nullptr) return E_NOTIMPL;
    return ::DispGetIDsOfNames(info_, names, count, ids);
  }
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID, LCID, WORD, DISPPARAMS* params,
                                   VARIANT* result, EXCEPINFO* exception, UINT*) override {
    if (result != nullptr) ::VariantInit(result);
    std::string why;
    HRESULT hr = deliver(id, params, why);
    // As VB6 raises an error out of an event procedure: source and description.
    if (hr == DISP_E_EXCEPTION) return raiseToCaller(exception, L"bitbridge event handler", why);
    return hr;  // see the header
  }

 private:
  ~SinkObject() {
    if (info_ != nullptr) info_->Release();
  }

  // What the source's Invoke answers: S_OK (delivered, or nobody to deliver to), DISP_E_EXCEPTION
  // (`why` says what failed), RPC_E_DISCONNECTED, RPC_E_TIMEOUT.
  HRESULT deliver(DISPID id, DISPPARAMS* params, std::string& why) {
    auto apartment = apartment_.lock();
    if (apartment == nullptr) return S_OK;
    std::string name = typeInfoName(info_, id);
    std::string label = link_->source + "." + (name.empty() ? std::to_string(id) : name);
    UINT count = params != nullptr ? params->cArgs : 0;
    UINT positional = params != nullptr ? count - params->cNamedArgs : 0;
    std::vector<ComVariant> args;
    try {
      // rgvarg holds the named arguments first, then the positional ones last to first.
      for (UINT i = 0; i < positional; ++i) {
        args.push_back(fromNative(params->rgvarg[count - 1 - i], apartment));
      }
    } catch (const Error& error) {
      link_->logger->warn("event {} not delivered: {}", label, error.message());
      why = error.message();
      return DISP_E_EXCEPTION;
    }
    auto pending = std::make_shared<PendingAnswer>();
    awaitClient(*link_->inbox, link_->answerTimeoutMs, pending,
                [link = link_, id, name, args = std::move(args)](
                    std::shared_ptr<AnswerGuard> answer) mutable {
                  sendEvent(link, std::move(answer), id, name, args);
                });
    std::lock_guard<std::mutex> lock(pending->mutex);
    if (pending->state != PendingAnswer::State::Answered) {
      if (pending->code == S_OK) {
        link_->logger->debug("event {}: {}", label, pending->error);
      } else {
        link_->logger->warn("event {} failed ({}): {}", label, hresultText(pending->code),
                            pending->error);
      }
      why = pending->error;
      return pending->code;
    }
    for (UINT i = 0; i < positional && i < pending->byRef.size(); ++i) {
      VARIANT& target = params->rgvarg[count - 1 - i];
      if ((V_VT(&target) & VT_BYREF) == 0) continue;
      try {
        writeBack(target, pending->byRef[i], "argument " + std::to_string(i + 1) + " of " + label);
      } catch (const Error& error) {
        link_->logger->warn("event {}: {}", label, error.message());
      }
    }
    return S_OK;
  }

  std::atomic<long> references_{1};
  IID iid_;
  ITypeInfo* info_;  // the event interface's, or null
  std::weak_ptr<StaThread> apartment_;  // weak: a source that never lets go keeps no thread
  std::shared_ptr<EventLink> link_;
};

// One Advise's cookie: unadvised at the latest when the last holder lets go (from any thread:
// the Unadvise is posted to the apartment).
struct Advisement {
  std::shared_ptr<NativeObject> point;  // the IConnectionPoint
  DWORD cookie = 0;
  // In the apartment.
  void unadviseNow() {
    if (cookie == 0) return;
    static_cast<IConnectionPoint*>(point->pointer())->Unadvise(cookie);
    cookie = 0;
  }
  ~Advisement() {
    if (cookie != 0 && point != nullptr) {
      // The job takes the bare pointer, not `point`: a queued job owning a NativeObject owns
      // the apartment, and if it held the last reference the apartment would end on its own
      // thread instead of being joined by the host's exit (which would then race the
      // Releases still queued). The pointer outlives the job: `point`'s own Release is posted
      // after it, when the member is destroyed below.
      point->apartment()->post(
          [p = static_cast<IConnectionPoint*>(point->pointer()), cookie = cookie] {
            p->Unadvise(cookie);
          });
    }
  }
};

// The class's coclass type information: from IProvideClassInfo, else the coclass of the
// object's type library whose default interface is the object's. Null when neither says.
ITypeInfo* classInfoOf(IDispatch* dispatch) {
  IProvideClassInfo* provider = nullptr;
  if (SUCCEEDED(dispatch->QueryInterface(IID_IProvideClassInfo,
                                         reinterpret_cast<void**>(&provider)))) {
    ITypeInfo* info = nullptr;
    HRESULT hr = provider->GetClassInfo(&info);
    provider->Release();
    if (SUCCEEDED(hr) && info != nullptr) return info;
  }
  ITypeInfo* own = nullptr;
  if (FAILED(dispatch->GetTypeInfo(0, LOCALE_USER_DEFAULT, &own)) || own == nullptr) return nullptr;
  ITypeLib* library = nullptr;
  UINT index = 0;
  TYPEATTR* ownAttributes = nullptr;
  ITypeInfo* found = nullptr;
  if (SUCCEEDED(own->GetContainingTypeLib(&library, &index)) &&
      SUCCEEDED(own->GetTypeAttr(&ownAttributes))) {
    for (UINT i = 0; i < library->GetTypeInfoCount() && found == nullptr; ++i) {
      TYPEKIND kind;
      ITypeInfo* candidate = nullptr;
      if (FAILED(library->GetTypeInfoType(i, &kind)) || kind != TKIND_COCLASS ||
          FAILED(library->GetTypeInfo(i, &candidate))) {
        continue;
      }
      TYPEATTR* attributes = nullptr;
      if (SUCCEEDED(candidate->GetTypeAttr(&attributes))) {
        for (UINT t = 0; t < attributes->cImplTypes && found == nullptr; ++t) {
          INT flags = 0;
          HREFTYPE ref = 0;
          ITypeInfo* implemented = nullptr;
          TYPEATTR* implementedAttributes = nullptr;
          if (SUCCEEDED(candidate->GetImplTypeFlags(t, &flags)) &&
              (flags & (IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE)) == IMPLTYPEFLAG_FDEFAULT &&
              SUCCEEDED(candidate->GetRefTypeOfImplType(t, &ref)) &&
              SUCCEEDED(candidate->GetRefTypeInfo(ref, &implemented))) {
            if (SUCCEEDED(implemented->GetTypeAttr(&implementedAttributes))) {
              if (implementedAttributes->guid == ownAttributes->guid) {
                found = candidate;
                found->AddRef();
              }
              implemented->ReleaseTypeAttr(implementedAttributes);
            }
            implemented->Release();
          }
        }
        candidate->ReleaseTypeAttr(attributes);
      }
      candidate->Release();
    }
    own->ReleaseTypeAttr(ownAttributes);
  }
  if (library != nullptr) library->Release();
  own->Release();
  return found;
}

// The coclass's source interface: its default one (`wanted` null), or the one with IID
// `*wanted`. Null when there is none.
ITypeInfo* sourceInterfaceOf(ITypeInfo* classInfo, const IID* wanted) {
  TYPEATTR* attributes = nullptr;
  if (classInfo == nullptr || FAILED(classInfo->GetTypeAttr(&attributes))) return nullptr;
  ITypeInfo* found = nullptr;
  for (UINT t = 0; t < attributes->cImplTypes && found == nullptr; ++t) {
    INT flags = 0;
    HREFTYPE ref = 0;
    ITypeInfo* candidate = nullptr;
    if (FAILED(classInfo->GetImplTypeFlags(t, &flags)) || (flags & IMPLTYPEFLAG_FSOURCE) == 0 ||
        (wanted == nullptr && (flags & IMPLTYPEFLAG_FDEFAULT) == 0) ||
        FAILED(classInfo->GetRefTypeOfImplType(t, &ref)) ||
        FAILED(classInfo->GetRefTypeInfo(ref, &candidate))) {
      continue;
    }
    TYPEATTR* candidateAttributes = nullptr;
    bool match = wanted == nullptr;
    if (!match && SUCCEEDED(candidate->GetTypeAttr(&candidateAttributes))) {
      match = candidateAttributes->guid == *wanted;
      candidate->ReleaseTypeAttr(candidateAttributes);
    }
    if (match) {
      found = candidate;
    } else {
      candidate->Release();
    }
  }
  classInfo->ReleaseTypeAttr(attributes);
  return found;
}

// Finding the connection point and advising, in the apartment.
struct AdviseCall {
  std::shared_ptr<NativeObject> object;
  std::string className;
  std::string interfaceId;  // as asked; then as connected
  std::string interfaceName;
  std::shared_ptr<EventLink> link;
  std::shared_ptr<Advisement> advisement;

  void run() {
    auto* dispatch = static_cast<IDispatch*>(object->pointer());
    IConnectionPointContainer* container = nullptr;
    if (FAILED(dispatch->QueryInterface(IID_IConnectionPointContainer,
                                        reinterpret_cast<void**>(&container)))) {
      throw Error(ErrorKind::BadConfiguration,
                  className + " fires no events: it has no connection points "
                              "(IConnectionPointContainer)",
                  "advise only classes that declare events (a [source] interface; VB6's Event)");
    }
    ITypeInfo* classInfo = classInfoOf(dispatch);
    ITypeInfo* eventInfo = nullptr;
    IID iid{};
    try {
      if (interfaceId.empty()) {
        eventInfo = sourceInterfaceOf(classInfo, nullptr);
        TYPEATTR* attributes = nullptr;
        if (eventInfo == nullptr || FAILED(eventInfo->GetTypeAttr(&attributes))) {
          throw Error(ErrorKind::BadConfiguration,
                      className + " does not say which event interface is its default one (no "
                                  "IProvideClassInfo, and no coclass in its type library names "
                                  "a [default, source] interface)",
                      "pass the event interface's IID to advise");
        }
        iid = attributes->guid;
        eventInfo->ReleaseTypeAttr(attributes);
      } else {
        if (FAILED(::IIDFromString(widen(interfaceId).c_str(), &iid))) {
          throw Error(ErrorKind::BadConfiguration,
                      "'" + interfaceId + "' is not an interface ID",
                      "write it as {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, or pass \"\" for the "
                      "class's default event interface");
        }
        eventInfo = sourceInterfaceOf(classInfo, &iid);
      }
      interfaceId = guidText(iid);
      interfaceName = typeInfoName(eventInfo, MEMBERID_NIL);
      if (interfaceName.empty()) interfaceName = interfaceId;
      link->source = className + "/" + interfaceName;
      IConnectionPoint* point = nullptr;
      HRESULT hr = container->FindConnectionPoint(iid, &point);
      if (FAILED(hr) || point == nullptr) {
        throw Error(ErrorKind::NotFound,
                    className + " has no connection point for event interface " + interfaceName +
                        " (" + hresultText(hr) + ")",
                    "advise one of the class's [source] interfaces (its type library lists "
                    "them), or \"\" for its default one");
      }
      advisement = std::make_shared<Advisement>();
      advisement->point = std::make_shared<NativeObject>(point, false, object->apartment());
      auto* sink = new SinkObject(iid, eventInfo, object->apartment(), link);
      hr = point->Advise(sink, &advisement->cookie);
      sink->Release();  // the connection point holds its own reference
      if (FAILED(hr)) {
        advisement->cookie = 0;
        throw Error(ErrorKind::Remote,
                    className + " refused the event sink for " + interfaceName + " (Advise: " +
                        hresultText(hr) + ")",
                    "check the class's own limits on event connections (CONNECT_E_ADVISELIMIT)");
      }
    } catch (...) {
      if (eventInfo != nullptr) eventInfo->Release();
      if (classInfo != nullptr) classInfo->Release();
      container->Release();
      throw;
    }
    if (eventInfo != nullptr) eventInfo->Release();
    if (classInfo != nullptr) classInfo->Release();
    container->Release();
  }
};

class EventConnectionServer final : public proto::EventConnection::Server {
 public:
  EventConnectionServer(std::shared_ptr<EventLink> link, std::shared_ptr<Advisement> advisement)
      : link_(std::move(link)), advisement_(std::move(advisement)) {}
  ~EventConnectionServer() {
    // The client let go (or went away): nothing more is delivered; the advisement's last
    // holder unadvises in the apartment.
    link_->sink = nullptr;
    link_->logger->debug("events of {}: connection dropped, unadvising", link_->source);
  }

 protected:
  kj::Promise<void> unadvise(UnadviseContext) override {
    link_->sink = nullptr;  // from now on events find no sink
    auto advisement = advisement_;
    return advisement->point->apartment()->run([advisement] { advisement->unadviseNow(); });
  }

 private:
  std::shared_ptr<EventLink> link_;
  std::shared_ptr<Advisement> advisement_;
};

}  // namespace

kj::Promise<Advised> adviseEvents(std::shared_ptr<NativeObject> object, std::string className,
                                  proto::EventSink::Client sink, std::string interfaceId,
                                  uint32_t answerTimeoutMs, std::shared_ptr<LoopInbox> inbox,
                                  WrapComObject wrap, std::shared_ptr<spdlog::logger> logger) {
  auto link = std::make_shared<EventLink>();
  link->answerTimeoutMs = answerTimeout(answerTimeoutMs);
  link->sink = kj::mv(sink);
  link->inbox = std::move(inbox);
  link->wrap = std::move(wrap);
  link->logger = std::move(logger);
  link->source = className;
  auto call = std::make_shared<AdviseCall>();
  call->object = object;
  call->className = std::move(className);
  call->interfaceId = std::move(interfaceId);
  call->link = link;
  auto apartment = object->apartment();
  return apartment->run([call] { call->run(); })
      .then([call, link]() {
        link->connected = true;
        link->logger->info("events of {} advised ({})", link->source, call->interfaceId);
        Advised advised{kj::heap<EventConnectionServer>(link, call->advisement),
                        call->interfaceId, call->interfaceName};
        call->advisement = nullptr;
        return advised;
      })
      // However the advise ends without a connection (failed, or the client gave up on it),
      // the client's capability is dropped here on the RPC thread; the advisement, if Advise
      // got that far, unadvises when `call` goes.
      .attach(kj::defer([link] {
        if (!link->connected) link->sink = nullptr;
      }));
}

}  // namespace bitbridge
