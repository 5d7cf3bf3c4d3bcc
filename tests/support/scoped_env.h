// Sets an environment variable for the lifetime of a scope (and so for the hosts a test spawns
// meanwhile, which inherit it), then puts back what was there. Header-only; test threads only,
// never while another thread reads the environment.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace bitbridge::test {

class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) previous_ = old;
    set(value);
  }
  ~ScopedEnv() { previous_ ? set(*previous_) : set(""); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  // (An empty value stands for "unset": every variable bitbridge reads treats them alike.)
  void set(const std::string& value) {
#ifdef _WIN32
    ::_putenv_s(name_.c_str(), value.c_str());  // also the process environment CreateProcess passes
#else
    if (value.empty()) {
      ::unsetenv(name_.c_str());
    } else {
      ::setenv(name_.c_str(), value.c_str(), 1);
    }
#endif
  }

  std::string name_;
  std::optional<std::string> previous_;
};

}  // namespace bitbridge::test
