// One single-threaded apartment: a thread that entered COM with COINIT_APARTMENTTHREADED and
// pumps Windows messages, as every VB6 class requires (its objects must be created and called
// on one thread, which must dispatch the messages COM and the class post to it).
//
// Work arrives from the host's RPC thread through a queue and a message to a message-only
// window, so it is also served while the apartment runs a modal or COM-internal message loop;
// jobs run one at a time, in order (a job never starts inside another: calls to an apartment's
// objects are serialized as the issue requires).
//
// Lifetime: shared by the ComHost and by every object created on it (shared_ptr); the last one
// to go, always on the RPC thread, stops and joins the thread. Jobs must not hold a reference to
// their StaThread (see State). Thread assumptions: run() and post() from any
// thread but the apartment's own.
#pragma once

#include <windows.h>

#include <deque>
#include <future>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <kj/async.h>
#include <kj/function.h>

namespace bitbridge {

class StaThread {
 public:
  /// Starts the thread and waits until it is in its apartment; throws Error BadConfiguration
  /// if CoInitializeEx or the window failed (the message names the HRESULT).
  StaThread();
  ~StaThread();
  StaThread(const StaThread&) = delete;
  StaThread& operator=(const StaThread&) = delete;

  /// Runs `work` in the apartment after what was queued before; resolves on the caller's event
  /// loop, or breaks with what `work` threw (a bitbridge::Error keeps its kind).
  kj::Promise<void> run(kj::Function<void()> work);
  /// Runs `work` in the apartment, nobody waiting (releasing a COM pointer). Never throws;
  /// dropped if the apartment has stopped.
  void post(std::function<void()> work);

  DWORD threadId() const { return threadId_; }

 private:
  // What the thread itself uses, kept by the thread too: if the last owner of a StaThread lets
  // go inside a job (a job's captures destroyed in the apartment), the destructor detaches
  // instead of joining itself, and the thread ends on its own with this state.
  struct State {
    std::mutex mutex;
    std::deque<std::function<void()>> queue;  // guarded by mutex
    bool draining = false;                    // apartment thread only
    HWND window = nullptr;
    DWORD threadId = 0;
    void drain();
  };
  static LRESULT CALLBACK windowProc(HWND window, UINT message, WPARAM wParam, LPARAM lParam);
  static void loop(std::shared_ptr<State> state, std::promise<std::string>* started);

  std::shared_ptr<State> state_;
  DWORD threadId_ = 0;
  std::thread thread_;
};

}  // namespace bitbridge
