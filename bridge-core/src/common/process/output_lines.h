// A child's output as lines: split, handed to a callback, and the last ~4 KiB kept for error
// messages. Portable; fed by each platform's drain thread (child_process-*.cpp).
//
// Threads: feed()/finish() on the drain thread; tail() and awaitFinished() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

namespace bitbridge {

class OutputLines {
 public:
  explicit OutputLines(std::function<void(const std::string&)> onLine, size_t tailBytes = 4096)
      : onLine_(std::move(onLine)), tailLimit_(tailBytes) {}

  /// A line ending in `marker` is a message from the child's runtime, not output: the part
  /// before the marker (a line the child left unterminated) is output, the marker is only
  /// recorded (sawMarker()). Windows uses it for a host's exit announcement
  /// (exit_announcement.h). Call before the first feed().
  void setMarker(std::string marker) { marker_ = std::move(marker); }

  /// Whether a line ended in the marker so far.
  bool sawMarker() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sawMarker_;
  }

  /// Bytes as read; complete lines go to the callback (without the newline, "\r" dropped).
  void feed(const char* data, size_t size) {
    pending_.append(data, size);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      emit(pending_.substr(start, nl - start));
    }
    pending_.erase(0, start);
  }

  /// End of output: a last unterminated line is emitted; awaitFinished() returns.
  void finish() {
    if (!pending_.empty()) emit(pending_);
    pending_.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }

  /// Waits up to `timeout` for finish(): the output pipe reaches EOF once the child (and
  /// anything it spawned that kept the pipe) is gone; a short wait completes the tail for an
  /// error message without blocking on a grandchild that keeps the pipe open.
  void awaitFinished(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return finished_; });
  }

  /// The last lines, oldest first, each ending in '\n'.
  std::string tail() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string text;
    for (const auto& line : tail_) {
      text += line;
      text += '\n';
    }
    return text;
  }

 private:
  void emit(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!marker_.empty() && line.size() >= marker_.size() &&
        line.compare(line.size() - marker_.size(), marker_.size(), marker_) == 0) {
      line.resize(line.size() - marker_.size());
      std::lock_guard<std::mutex> lock(mutex_);
      sawMarker_ = true;
      if (line.empty()) return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tail_.push_back(line);
      tailBytes_ += line.size() + 1;
      while (tailBytes_ > tailLimit_ && tail_.size() > 1) {
        tailBytes_ -= tail_.front().size() + 1;
        tail_.pop_front();
      }
    }
    if (onLine_) onLine_(line);
  }

  std::function<void(const std::string&)> onLine_;
  const size_t tailLimit_;
  std::string marker_;        // set before the drain thread starts
  std::string pending_;       // drain thread only
  mutable std::mutex mutex_;  // guards tail_, tailBytes_, finished_, sawMarker_
  std::condition_variable changed_;
  std::deque<std::string> tail_;
  size_t tailBytes_ = 0;
  bool finished_ = false;
  bool sawMarker_ = false;
};

}  // namespace bitbridge
