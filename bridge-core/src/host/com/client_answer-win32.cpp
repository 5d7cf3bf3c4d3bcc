#include "host/com/client_answer-win32.h"

#include <oleauto.h>

#include <cstring>

#include "bitbridge/error.h"
#include "common/platform/text-win32.h"
#include "host/com/com_native-win32.h"
#include "host/com/com_record-win32.h"

namespace bitbridge {
namespace {

enum class Waited { Done, TimedOut, Stopped };

// Waits for `done` while dispatching the apartment's messages, at most `timeoutMs` (INFINITE:
// no limit). Stopped when the apartment is asked to stop meanwhile (WM_QUIT, put back for its
// loop) or the wait fails.
Waited waitPumping(HANDLE done, DWORD timeoutMs) {
  ULONGLONG start = ::GetTickCount64();
  for (;;) {
    DWORD left = INFINITE;
    if (timeoutMs != INFINITE) {
      ULONGLONG spent = ::GetTickCount64() - start;
      left = spent >= timeoutMs ? 0 : static_cast<DWORD>(timeoutMs - spent);
    }
    DWORD woke = ::MsgWaitForMultipleObjectsEx(1, &done, left, QS_ALLINPUT, MWMO_INPUTAVAILABLE);
    if (woke == WAIT_OBJECT_0) return Waited::Done;
    if (woke == WAIT_TIMEOUT) return Waited::TimedOut;
    if (woke != WAIT_OBJECT_0 + 1) return Waited::Stopped;
    MSG message;
    while (::PeekMessageW(&message, nullptr, 0, 0, PM_REMOVE)) {
      if (message.message == WM_QUIT) {
        ::PostQuitMessage(static_cast<int>(message.wParam));
        return Waited::Stopped;
      }
      ::TranslateMessage(&message);
      ::DispatchMessageW(&message);
    }
  }
}

}  // namespace

PendingAnswer::PendingAnswer() : done(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}

PendingAnswer::~PendingAnswer() {
  if (done != nullptr) ::CloseHandle(done);
}

void PendingAnswer::finish(State to, HRESULT failure, std::string why, ComVariant value,
                           std::vector<ComVariant> values) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (state != State::Waiting) return;
    state = to;
    code = failure;
    error = std::move(why);
    result = std::move(value);
    byRef = std::move(values);
  }
  ::SetEvent(done);
}

void PendingAnswer::answer(ComVariant value, std::vector<ComVariant> values) {
  finish(State::Answered, S_OK, {}, std::move(value), std::move(values));
}

void PendingAnswer::fail(HRESULT failure, std::string why) {
  finish(State::Failed, failure, std::move(why), ComVariant(), {});
}

AnswerGuard::~AnswerGuard() {
  pending->fail(RPC_E_DISCONNECTED, "the client's connection is closing");
}

void awaitClient(LoopInbox& inbox, DWORD timeoutMs, const std::shared_ptr<PendingAnswer>& pending,
                 std::function<void(std::shared_ptr<AnswerGuard>)> send) {
  auto guard = std::make_shared<AnswerGuard>(pending);
  // Refused (the connection closed): the work, and with it the guard, is dropped at once.
  inbox.post([guard = std::move(guard), send = std::move(send)]() mutable {
    send(std::move(guard));
  });
  if (pending->done == nullptr) {
    pending->fail(E_OUTOFMEMORY, "no event to wait on (CreateEvent failed)");
    return;
  }
  switch (waitPumping(pending->done, timeoutMs)) {
    case Waited::Done: break;
    case Waited::TimedOut:
      pending->fail(RPC_E_TIMEOUT, "the client did not answer within " +
                                       std::to_string(timeoutMs) + " ms (its comAnswerTimeout)");
      break;
    case Waited::Stopped: pending->fail(RPC_E_DISCONNECTED, "the apartment is stopping"); break;
  }
}

HRESULT failureOf(const kj::Exception& exception) {
  return exception.getType() == kj::Exception::Type::DISCONNECTED ? RPC_E_DISCONNECTED
                                                                  : DISP_E_EXCEPTION;
}

void writeBack(VARIANT& target, const ComVariant& value, const std::string& where) {
  VARTYPE type = V_VT(&target) & ~VT_BYREF;
  if (V_BYREF(&target) == nullptr) return;
  if (type == VT_RECORD) {
    // A record by reference (VB6's `Event Moving(p As Point)`): rewritten in place, field by
    // field, as its type library lays it out.
    if (value.type() != VariantType::Record) {
      throw Error(ErrorKind::BadConfiguration,
                  where + ": the argument is a record, given " + value.describe(),
                  "give back the record (changed or not)");
    }
    writeRecordInPlace(value.record(), V_RECORD(&target), V_RECORDINFO(&target), where);
    return;
  }
  VARIANT converted;
  ::VariantInit(&converted);
  try {
    toNative(value, converted, where);
  } catch (...) {
    ::VariantClear(&converted);
    throw;
  }
  if (type == VT_VARIANT) {
    ::VariantClear(V_VARIANTREF(&target));
    *V_VARIANTREF(&target) = converted;  // ownership moves
    return;
  }
  if (FAILED(::VariantChangeType(&converted, &converted, 0, type))) {
    ::VariantClear(&converted);
    throw Error(ErrorKind::BadConfiguration,
                where + ": " + value.describe() + " does not convert to the argument's type",
                "give back a value of the by-reference argument's type");
  }
  switch (type) {
    case VT_I1: case VT_UI1: std::memcpy(V_BYREF(&target), &V_UI1(&converted), 1); break;
    case VT_I2: case VT_UI2: case VT_BOOL: std::memcpy(V_BYREF(&target), &V_UI2(&converted), 2); break;
    case VT_I4: case VT_UI4: case VT_R4: case VT_ERROR: case VT_INT: case VT_UINT:
      std::memcpy(V_BYREF(&target), &V_UI4(&converted), 4);
      break;
    case VT_I8: case VT_UI8: case VT_R8: case VT_CY: case VT_DATE:
      std::memcpy(V_BYREF(&target), &V_UI8(&converted), 8);
      break;
    case VT_DECIMAL: *V_DECIMALREF(&target) = V_DECIMAL(&converted); break;
    case VT_BSTR:
      ::SysFreeString(*V_BSTRREF(&target));
      *V_BSTRREF(&target) = V_BSTR(&converted);
      V_VT(&converted) = VT_EMPTY;  // ownership moved
      break;
    default: break;
  }
  ::VariantClear(&converted);
}

HRESULT raiseToCaller(EXCEPINFO* exception, const wchar_t* source, const std::string& description) {
  if (exception == nullptr) return E_FAIL;
  *exception = EXCEPINFO{};
  exception->bstrSource = ::SysAllocString(source);
  std::wstring text = widen(description);
  exception->bstrDescription = ::SysAllocStringLen(text.data(), static_cast<UINT>(text.size()));
  exception->scode = E_FAIL;
  return DISP_E_EXCEPTION;
}

}  // namespace bitbridge
