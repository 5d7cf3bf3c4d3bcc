#include "host/com/client_object-win32.h"

#include <windows.h>
#include <oleauto.h>

#include <atomic>
#include <map>
#include <mutex>

#include <spdlog/logger.h>

#include "bitbridge/error.h"
#include "common/platform/com_errors-win32.h"
#include "common/platform/text-win32.h"
#include "host/com/client_answer-win32.h"
#include "host/com/com_record-win32.h"

namespace bitbridge {
namespace {

constexpr wchar_t kSource[] = L"bitbridge client object";

// Objects in what the client's object answers are not carried (yet): refused, naming `where`.
UnwrapComObject refuseObjects(std::string where) {
  return [where](capnp::Capability::Client, bool) -> std::shared_ptr<ComObjectHandle> {
    throw Error(ErrorKind::Unimplemented,
                where + ": an object in the answer of the client's object",
                "answer plain values (numbers, text, arrays)");
  };
}

// On the RPC thread: sends what `send` makes of the client's capability and finishes the
// apartment's wait with what `read` makes of the answer, or with the failure (the client's
// error, DISP_E_EXCEPTION; the client gone, RPC_E_DISCONNECTED). `send` may throw Error (an
// argument that cannot be sent): DISP_E_EXCEPTION.
template <typename Results, typename Send, typename Read>
void forward(const std::shared_ptr<ClientLink>& link, const std::shared_ptr<AnswerGuard>& answer,
             Send send, Read read) {
  KJ_IF_MAYBE(object, link->object) {
    try {
      send(*object)
          .then([answer, read](capnp::Response<Results>&& response) mutable {
                  try {
                    read(response, *answer->pending);
                  } catch (const Error& error) {
                    answer->pending->fail(DISP_E_EXCEPTION, error.message());
                  }
                },
                [answer](kj::Exception&& exception) {
                  answer->pending->fail(failureOf(exception), fromKjException(exception).message());
                })
          .detach([](kj::Exception&&) {});
    } catch (const Error& error) {
      answer->pending->fail(DISP_E_EXCEPTION, error.message());
    }
  } else {
    answer->pending->fail(RPC_E_DISCONNECTED,
                          "the client's object is gone (released, or its client disconnected)");
  }
}

InvokeKind kindOf(WORD flags) {
  if ((flags & DISPATCH_PROPERTYPUTREF) != 0) return InvokeKind::PropertyPutRef;
  if ((flags & DISPATCH_PROPERTYPUT) != 0) return InvokeKind::PropertyPut;
  if (flags == DISPATCH_PROPERTYGET) return InvokeKind::PropertyGet;
  return InvokeKind::Method;
}

// The stand-in: an IDispatch in the apartment. Its methods run on the apartment thread (COM
// code calls it there); its reference count may drop on any thread.
class ClientDispatch final : public IDispatch {
 public:
  ClientDispatch(std::shared_ptr<ClientLink> link, ClientObjectContext context, std::string where)
      : link_(std::move(link)), context_(std::move(context)), where_(std::move(where)) {}

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override {
    if (out == nullptr) return E_POINTER;
    if (iid == IID_IUnknown || iid == IID_IDispatch) {
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
    if (left == 0) {
      // The client's capability is dropped on the RPC thread (refused once the connection
      // closed, which has cleared the link already).
      context_.inbox->post([link = link_] { link->object = nullptr; });
      delete this;
    }
    return left;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override {
    if (count == nullptr) return E_POINTER;
    *count = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT, LCID, ITypeInfo**) override { return E_NOTIMPL; }

  // Asks the client which of `names` it answers (the member first, then parameter names).
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID, LPOLESTR* names, UINT count, LCID,
                                          DISPID* ids) override {
    if (names == nullptr || ids == nullptr) return E_POINTER;
    if (count == 0) return S_OK;
    std::vector<std::string> wanted;
    for (UINT i = 0; i < count; ++i) {
      wanted.push_back(names[i] != nullptr ? narrow(names[i]) : std::string());
    }
    auto pending = std::make_shared<PendingAnswer>();
    awaitClient(*context_.inbox, answerTimeout(context_.answerTimeoutMs), pending,
                [link = link_, wanted](std::shared_ptr<AnswerGuard> answer) {
                  forward<proto::Dispatch::GetIdsOfNamesResults>(
                      link, answer,
                      [&wanted](proto::Dispatch::Client& object) {
                        auto request = object.getIdsOfNamesRequest();
                        auto list = request.initNames(static_cast<unsigned>(wanted.size()));
                        for (unsigned i = 0; i < wanted.size(); ++i) list.set(i, wanted[i]);
                        return request.send();
                      },
                      [](proto::Dispatch::GetIdsOfNamesResults::Reader results,
                         PendingAnswer& pending) {
                        std::vector<ComVariant> found;
                        for (int32_t id : results.getIds()) found.emplace_back(id);
                        pending.answer(ComVariant(), std::move(found));
                      });
                });
    std::lock_guard<std::mutex> lock(pending->mutex);
    if (pending->state != PendingAnswer::State::Answered) {
      context_.logger->warn("{}: GetIDsOfNames({}) on the client's object failed ({}): {}",
                            where_, wanted[0], hresultText(pending->code), pending->error);
      for (UINT i = 0; i < count; ++i) ids[i] = DISPID_UNKNOWN;
      return pending->code == DISP_E_EXCEPTION ? E_FAIL : pending->code;
    }
    bool unknown = false;
    for (UINT i = 0; i < count; ++i) {
      // What the client answers is checked: a missing or non-integer entry is an unknown name.
      DISPID id = DISPID_UNKNOWN;
      if (i < pending->byRef.size() && pending->byRef[i].type() == VariantType::I4) {
        id = static_cast<DISPID>(pending->byRef[i].asInt());
      }
      ids[i] = id;
      if (id == DISPID_UNKNOWN) unknown = true;
    }
    if (ids[0] != DISPID_UNKNOWN) names_[ids[0]] = wanted[0];
    return unknown ? DISP_E_UNKNOWNNAME : S_OK;
  }

  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID, LCID, WORD flags, DISPPARAMS* params,
                                   VARIANT* result, EXCEPINFO* exception, UINT*) override {
    if (result != nullptr) ::VariantInit(result);
    std::string member;
    if (id != DISPID_VALUE) {
      auto found = names_.find(id);
      if (found == names_.end()) return DISP_E_MEMBERNOTFOUND;  // never named by GetIDsOfNames
      member = found->second;
    }
    InvokeKind kind = kindOf(flags);
    bool put = kind == InvokeKind::PropertyPut || kind == InvokeKind::PropertyPutRef;
    UINT count = params != nullptr ? params->cArgs : 0;
    UINT named = params != nullptr ? params->cNamedArgs : 0;
    if (named > (put ? 1u : 0u) ||
        (put && (named != 1 || params->rgdispidNamedArgs[0] != DISPID_PROPERTYPUT))) {
      return DISP_E_NONAMEDARGS;  // the client's object takes its arguments by position
    }
    UINT positional = count - named;
    std::string label = where_ + " (the client's object)." + (member.empty() ? "[default]" : member);
    // The apartment is ending (the host exits): its objects cannot be wrapped any more.
    auto apartment = context_.apartment.lock();
    if (apartment == nullptr) return RPC_E_DISCONNECTED;
    std::vector<ComVariant> args;
    try {
      // rgvarg: the put value (named) first, then the positional arguments last to first.
      for (UINT i = 0; i < positional; ++i) {
        args.push_back(fromNative(params->rgvarg[count - 1 - i], apartment));
      }
      if (put) args.push_back(fromNative(params->rgvarg[0], apartment));
    } catch (const Error& error) {
      return raiseToCaller(exception, kSource, label + ": " + error.message());
    }
    auto pending = std::make_shared<PendingAnswer>();
    awaitClient(
        *context_.inbox, answerTimeout(context_.answerTimeoutMs), pending,
        [link = link_, wrap = context_.wrap, member, kind, label, args = std::move(args)](
            std::shared_ptr<AnswerGuard> answer) {
          forward<proto::Dispatch::InvokeResults>(
              link, answer,
              [&](proto::Dispatch::Client& object) {
                auto request = object.invokeRequest();
                request.setName(member);
                request.setKind(wireInvokeKind(kind));
                auto list = request.initArgs(static_cast<unsigned>(args.size()));
                for (unsigned i = 0; i < args.size(); ++i) variantToWire(args[i], list[i], wrap);
                return request.send();
              },
              [label](proto::Dispatch::InvokeResults::Reader results, PendingAnswer& pending) {
                UnwrapComObject refuse = refuseObjects(label);
                ComVariant value =
                    variantFromWire(results.getResult(), refuse, "the answer of " + label);
                std::vector<ComVariant> values;
                unsigned i = 0;
                for (auto byRef : results.getByRef()) {
                  values.push_back(variantFromWire(
                      byRef, refuse, "by-reference argument " + std::to_string(++i) + " of " + label));
                }
                pending.answer(std::move(value), std::move(values));
              });
        });
    std::lock_guard<std::mutex> lock(pending->mutex);
    if (pending->state != PendingAnswer::State::Answered) {
      context_.logger->warn("{} failed ({}): {}", label, hresultText(pending->code),
                            pending->error);
      if (pending->code == DISP_E_EXCEPTION) {
        return raiseToCaller(exception, kSource, label + ": " + pending->error);
      }
      return pending->code;
    }
    if (result != nullptr) {
      try {
        toNative(pending->result, *result, "the answer of " + label);
      } catch (const Error& error) {
        clearNative(*result);
        ::VariantInit(result);
        return raiseToCaller(exception, kSource, error.message());
      }
    }
    for (UINT i = 0; i < positional && i < pending->byRef.size(); ++i) {
      VARIANT& target = params->rgvarg[count - 1 - i];
      if ((V_VT(&target) & VT_BYREF) == 0) continue;
      try {
        writeBack(target, pending->byRef[i], "argument " + std::to_string(i + 1) + " of " + label);
      } catch (const Error& error) {
        context_.logger->warn("{}", error.message());
      }
    }
    return S_OK;
  }

 private:
  ~ClientDispatch() = default;

  std::atomic<long> references_{1};
  std::shared_ptr<ClientLink> link_;
  ClientObjectContext context_;
  std::string where_;                  // "argument 1 of SetSink", for messages
  std::map<DISPID, std::string> names_;  // apartment thread only: what GetIDsOfNames answered
};

}  // namespace

std::shared_ptr<NativeObject> standInForClientObject(proto::Dispatch::Client object,
                                                     const ClientObjectContext& context,
                                                     std::string where,
                                                     std::shared_ptr<ClientLink>& link) {
  link = std::make_shared<ClientLink>();
  link->object = kj::mv(object);
  auto apartment = context.apartment.lock();  // the caller's: alive on the RPC thread now
  auto* dispatch = new ClientDispatch(link, context, std::move(where));
  return std::make_shared<NativeObject>(dispatch, true, std::move(apartment));
}

}  // namespace bitbridge
