// Fuzz target: the ELF/PE header reader (bitbridge/binary_header.h) and the export/dependency
// reader built on it (binary_image.h, used by `bitbridge inspect`), which parse files the user
// names and so must treat them as hostile.
//
// Runs both entry points on the input, and checks they agree:
//  - inspectBinaryBytes on the bytes in memory;
//  - inspectBinary on the same bytes in an anonymous file (memfd, named via /proc/self/fd),
//    which goes through the file-backed reader (head in memory, seeks past it).
// and, for the same bytes, parseBinaryImage and readBinaryImage (whole image in memory, from
// memory or from the file), which must agree with each other and with the header reader.
// Any bitbridge::Error is an acceptable answer; a crash, an out-of-bounds read (ASan), UB
// (UBSan), another exception type, or the two readers disagreeing is a bug (abort()).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "common/binary/binary_image.h"

namespace {

using bitbridge::BinaryInfo;
using bitbridge::Error;

// What one reader said: the header (or image), or the error it threw.
template <typename T>
struct Result {
  std::optional<T> info;
  std::string error;  // "<kind>: <message>" when it threw
};
using Outcome = Result<BinaryInfo>;

template <typename Inspect>
auto run(Inspect&& inspect) {
  Result<std::decay_t<decltype(inspect())>> out;
  try {
    out.info = inspect();
  } catch (const Error& e) {
    out.error = std::string(bitbridge::errorKindName(e.kind())) + ": " + e.message();
  }
  // Anything else (std::bad_alloc, std::out_of_range, ...) escapes: libFuzzer reports it.
  return out;
}

[[noreturn]] void imageDisagree(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "fuzz_binary_header: %s\n  %s\n  %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

// The export/dependency reader: from memory and from the file it must say the same, and it
// may only succeed where the header reader did, with the same header.
void checkImage(const uint8_t* data, size_t size, const std::string& path,
                const Outcome& header) {
  auto memory = run([&] { return bitbridge::parseBinaryImage(data, size, path); });
  auto file = run([&] { return bitbridge::readBinaryImage(path); });
  if (memory.info.has_value() != file.info.has_value() ||
      (!memory.info && memory.error != file.error)) {
    imageDisagree("image readers disagree", memory.error, file.error);
  }
  if (!memory.info) return;
  if (!header.info) imageDisagree("image read where the header was refused", header.error, "");
  const bitbridge::BinaryImage& a = *memory.info;
  const bitbridge::BinaryImage& b = *file.info;
  if (a.exports != b.exports || a.needed != b.needed || a.delayLoaded != b.delayLoaded ||
      a.soname != b.soname || a.rpath != b.rpath || a.runpath != b.runpath || a.kind != b.kind) {
    imageDisagree("image readers disagree on the tables", a.soname, b.soname);
  }
  if (a.header.description != header.info->description) {
    imageDisagree("image header differs from the header reader's", a.header.description,
                  header.info->description);
  }
}

[[noreturn]] void disagree(const char* what, const Outcome& memory, const Outcome& file) {
  std::fprintf(stderr, "fuzz_binary_header: in-memory and file readers disagree on %s\n", what);
  std::fprintf(stderr, "  memory: %s\n",
               memory.info ? memory.info->description.c_str() : memory.error.c_str());
  std::fprintf(stderr, "  file:   %s\n",
               file.info ? file.info->description.c_str() : file.error.c_str());
  std::abort();
}

// The file reader uses the path as the name in its messages; give the memory reader the same
// name so that even the messages must match.
Outcome inspectFile(const uint8_t* data, size_t size, std::string& path) {
  int fd = ::memfd_create("fuzz-binary-header", MFD_CLOEXEC);
  if (fd < 0) {
    std::perror("memfd_create");
    std::abort();
  }
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      std::perror("write");
      std::abort();
    }
    done += static_cast<size_t>(n);
  }
  path = "/proc/self/fd/" + std::to_string(fd);
  Outcome out = run([&] { return bitbridge::inspectBinary(path); });
  checkImage(data, size, path, out);
  ::close(fd);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path;
  Outcome file = inspectFile(data, size, path);
  Outcome memory = run([&] { return bitbridge::inspectBinaryBytes(data, size, path); });

  if (memory.info.has_value() != file.info.has_value()) disagree("success", memory, file);
  if (!memory.info) {
    if (memory.error != file.error) disagree("the error", memory, file);
    return 0;
  }
  const BinaryInfo& a = *memory.info;
  const BinaryInfo& b = *file.info;
  if (a.format != b.format || a.arch != b.arch || a.machine != b.machine || a.bits != b.bits ||
      a.description != b.description || a.dotnet != b.dotnet || a.dotnetAnyCpu != b.dotnetAnyCpu ||
      a.corFlags != b.corFlags) {
    disagree("the header", memory, file);
  }
  // Facts every accepted header must satisfy, whatever the bytes were.
  if (a.bits != 32 && a.bits != 64) disagree("bits (neither 32 nor 64)", memory, file);
  if (a.arch && bitbridge::pointerBits(*a.arch) != a.bits) {
    disagree("arch vs bits", memory, file);
  }
  if (a.dotnetAnyCpu && (a.arch || !a.dotnet)) disagree("Any CPU flags", memory, file);
  if (a.dotnet && a.format != bitbridge::BinaryFormat::Pe)
    disagree(".NET outside PE", memory, file);
  if (a.description.empty()) disagree("an empty description", memory, file);
  return 0;
}
