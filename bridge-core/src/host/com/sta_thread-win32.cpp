#include "host/com/sta_thread-win32.h"

#include <objbase.h>

#include "bitbridge/error.h"
#include "common/platform/com_errors-win32.h"

namespace bitbridge {
namespace {

// The message that says "the queue has work" to the apartment's window.
constexpr UINT kWorkMessage = WM_APP + 1;
constexpr wchar_t kWindowClass[] = L"bitbridge.StaThread";

}  // namespace

StaThread::StaThread() : state_(std::make_shared<State>()) {
  std::promise<std::string> started;
  auto failure = started.get_future();
  thread_ = std::thread(&StaThread::loop, state_, &started);
  std::string error = failure.get();
  if (!error.empty()) {
    thread_.join();
    throw Error(ErrorKind::BadConfiguration, "cannot start the COM apartment thread: " + error,
                "check the host's log; COM (ole32) must be usable in the host process");
  }
  threadId_ = state_->threadId;
}

StaThread::~StaThread() {
  // WM_QUIT ends the loop once the job in progress returns; queued jobs (releases) run first.
  ::PostThreadMessageW(threadId_, WM_QUIT, 0, 0);
  if (std::this_thread::get_id() == thread_.get_id()) {
    thread_.detach();  // inside a job: the loop ends after it, with its own State
  } else {
    thread_.join();
  }
}

LRESULT CALLBACK StaThread::windowProc(HWND window, UINT message, WPARAM wParam, LPARAM lParam) {
  if (message == kWorkMessage) {
    reinterpret_cast<State*>(::GetWindowLongPtrW(window, GWLP_USERDATA))->drain();
    return 0;
  }
  return ::DefWindowProcW(window, message, wParam, lParam);
}

void StaThread::loop(std::shared_ptr<State> state, std::promise<std::string>* started) {
  state->threadId = ::GetCurrentThreadId();
  HRESULT result = ::CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  if (FAILED(result)) {
    started->set_value("CoInitializeEx(COINIT_APARTMENTTHREADED): " + hresultText(result));
    return;
  }
  WNDCLASSW windowClass{};
  windowClass.lpfnWndProc = &StaThread::windowProc;
  windowClass.hInstance = ::GetModuleHandleW(nullptr);
  windowClass.lpszClassName = kWindowClass;
  ::RegisterClassW(&windowClass);  // fails harmlessly when a second apartment registers it again
  state->window = ::CreateWindowExW(0, kWindowClass, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr,
                                    windowClass.hInstance, nullptr);
  if (state->window == nullptr) {
    started->set_value("CreateWindowEx(HWND_MESSAGE) failed with error " +
                       std::to_string(::GetLastError()));
    ::CoUninitialize();
    return;
  }
  ::SetWindowLongPtrW(state->window, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(state.get()));
  started->set_value({});  // `started` is gone after this

  MSG message;
  while (::GetMessageW(&message, nullptr, 0, 0) > 0) {
    ::TranslateMessage(&message);
    ::DispatchMessageW(&message);
  }
  state->drain();  // releases posted before the quit
  ::DestroyWindow(state->window);
  ::CoUninitialize();
}

void StaThread::State::drain() {
  // A job that pumps messages (a modal loop, an outgoing COM call) may bring us back here:
  // leave its work queued, the outer drain runs it next, so jobs never nest.
  if (draining) return;
  draining = true;
  for (;;) {
    std::function<void()> job;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (queue.empty()) break;
      job = std::move(queue.front());
      queue.pop_front();
    }
    job();
  }
  draining = false;
}

void StaThread::post(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->queue.push_back(std::move(work));
  }
  ::PostMessageW(state_->window, kWorkMessage, 0, 0);
}

kj::Promise<void> StaThread::run(kj::Function<void()> work) {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  // The job owns the work and the fulfiller; std::function needs a copyable callable.
  struct Job {
    kj::Function<void()> work;
    kj::Own<kj::CrossThreadPromiseFulfiller<void>> fulfiller;
  };
  auto job = std::make_shared<Job>(Job{kj::mv(work), kj::mv(paf.fulfiller)});
  post([job] {
    KJ_IF_MAYBE(exception, kj::runCatchingExceptions([&] {
                  try {
                    job->work();
                  } catch (const Error& error) {
                    throwAsKj(error);
                  }
                })) {
      job->fulfiller->reject(kj::mv(*exception));
    } else {
      job->fulfiller->fulfill();
    }
  });
  return kj::mv(paf.promise);
}

}  // namespace bitbridge
