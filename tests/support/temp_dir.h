// A directory of its own for one test, removed with everything in it at the end (header-only).
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace bitbridge::test {

class TempDir {
 public:
  /// `prefix` names the test in the directory's name (e.g. "bitbridge-inspect").
  explicit TempDir(const std::string& prefix) {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;  // best effort: a test that failed half-way may leave odd modes
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The path of `name` inside the directory.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace bitbridge::test
