// A main() for fuzz targets in ordinary builds: calls LLVMFuzzerTestOneInput once per file of
// the directories (or files) named on the command line, the way `<fuzzer> -runs=0 <dir>` would.
//
// Why: the committed corpus (tests/fuzz/corpus/<target>/) is then replayed by every ctest run,
// with gcc, in both bitnesses and under the ASan pass, without libFuzzer. A reproducer added
// there stays a regression test.
//
// Each input is copied into a heap buffer of exactly its size, so AddressSanitizer catches a
// read one byte past the end, as under libFuzzer. Files run in name order (reproducible).
// A directory with no files fails the run: a mistyped corpus path must not pass vacuously.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool readFile(const fs::path& path, std::vector<char>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Runs one input; false if it could not be read.
bool replay(const fs::path& path) {
  std::vector<char> bytes;
  if (!readFile(path, bytes)) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  // Printed before the run so that a crash report names the input that caused it.
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
  std::unique_ptr<uint8_t[]> exact(new uint8_t[bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), exact.get());
  LLVMFuzzerTestOneInput(exact.get(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus dir or file>...\n", argv[0]);
    return 64;
  }
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) {
      if (!replay(arg)) return 1;
      ++runs;
      continue;
    }
    if (!fs::is_directory(arg, ec)) {
      std::fprintf(stderr, "replay: %s is neither a file nor a directory\n", argv[i]);
      return 1;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(arg, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    if (ec) {
      std::fprintf(stderr, "replay: cannot list %s: %s\n", argv[i], ec.message().c_str());
      return 1;
    }
    if (files.empty()) {
      std::fprintf(stderr, "replay: %s holds no inputs\n", argv[i]);
      return 1;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      if (!replay(file)) return 1;
      ++runs;
    }
  }
  std::fprintf(stderr, "replay: %zu inputs, no crash\n", runs);
  return 0;
}
