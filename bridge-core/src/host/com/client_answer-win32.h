// Waiting in a COM apartment for the client's answer: what the host's event sink (events) and
// the host's stand-ins for objects of the client (client objects passed as arguments) share.
// Windows hosts.
//
// The apartment thread cannot call the client's capability itself (capabilities belong to the
// RPC thread's event loop): it posts the call to the RPC thread through the connection's
// LoopInbox and waits for the answer, pumping its messages meanwhile (its windows and timers
// keep working), at most the client's answer deadline. However the call ends (answered, the
// client's code failed, the client gone, the deadline passed, the apartment stopping), the wait
// ends and says which, as the HRESULT COM code expects: S_OK, DISP_E_EXCEPTION (with the
// client's error as EXCEPINFO description), RPC_E_DISCONNECTED, RPC_E_TIMEOUT.
//
// Thread assumptions: awaitClient and writeBack on the apartment thread; PendingAnswer's
// finish/fail from any thread (the RPC thread answers, the apartment gives up); AnswerGuard is
// destroyed wherever its work ends (the RPC thread, or the closing inbox's thread).
#pragma once

#include <windows.h>
#include <oaidl.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <kj/exception.h>

#include "bitbridge/com.h"
#include "host/com/loop_inbox.h"

namespace bitbridge {

/// One call waiting in the apartment for the client's answer. The first finish wins: an answer
/// arriving after the apartment gave up (timed out) is dropped.
struct PendingAnswer {
  enum class State { Waiting, Answered, Failed };
  PendingAnswer();
  ~PendingAnswer();
  PendingAnswer(const PendingAnswer&) = delete;
  PendingAnswer& operator=(const PendingAnswer&) = delete;
  void answer(ComVariant value, std::vector<ComVariant> values);
  /// `failure`: what COM code is told (S_OK: nothing to report, as for a client that unadvised).
  void fail(HRESULT failure, std::string why);

  HANDLE done;
  std::mutex mutex;
  State state = State::Waiting;   // guarded by mutex
  HRESULT code = S_OK;            // guarded by mutex; when Failed
  std::string error;              // guarded by mutex; when Failed
  ComVariant result;              // guarded by mutex; when Answered
  std::vector<ComVariant> byRef;  // guarded by mutex; when Answered

 private:
  void finish(State to, HRESULT failure, std::string why, ComVariant value,
              std::vector<ComVariant> values);
};

/// Held by the work on its way to the client: however that work ends (answered, failed, dropped
/// unrun by a closing inbox or a destroyed event loop), the apartment stops waiting.
struct AnswerGuard {
  explicit AnswerGuard(std::shared_ptr<PendingAnswer> pending) : pending(std::move(pending)) {}
  ~AnswerGuard();
  std::shared_ptr<PendingAnswer> pending;
};

/// Posts `send` to run on the RPC thread (it calls the client and finishes `guard->pending`),
/// then waits in the apartment, pumping, at most `timeoutMs` (INFINITE: no limit). Afterwards
/// `pending` is Answered or Failed.
void awaitClient(LoopInbox& inbox, DWORD timeoutMs, const std::shared_ptr<PendingAnswer>& pending,
                 std::function<void(std::shared_ptr<AnswerGuard>)> send);

/// What COM code is told when a call to the client failed with `exception`: RPC_E_DISCONNECTED
/// when the client is gone, else DISP_E_EXCEPTION (the client's code failed).
HRESULT failureOf(const kj::Exception& exception);

/// The client's answer timeout as the apartment waits it: 0 (none) is INFINITE.
inline DWORD answerTimeout(uint32_t milliseconds) {
  return milliseconds == 0 ? INFINITE : static_cast<DWORD>(milliseconds);
}

/// Writes `value` into the by-reference argument `target` (VT_BYREF | T), converted to T.
/// Types a client cannot sensibly give back by reference (objects, arrays) are left alone.
/// Throws Error BadConfiguration naming `where` for a value that does not convert.
void writeBack(VARIANT& target, const ComVariant& value, const std::string& where);

/// Fills `exception` (may be null) as VB6 raises an error out of code the client ran: `source`,
/// `description`. Returns the HRESULT for IDispatch::Invoke: DISP_E_EXCEPTION, or E_FAIL when
/// the caller asked for no EXCEPINFO.
HRESULT raiseToCaller(EXCEPINFO* exception, const wchar_t* source, const std::string& description);

}  // namespace bitbridge
