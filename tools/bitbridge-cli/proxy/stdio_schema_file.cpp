#include "stdio_schema_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include <kj/debug.h>

namespace bitbridge::proxygen {
namespace {

bool readable(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::fclose(f);
  return true;
}

[[noreturn]] void fail(const std::string& message) {
  kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                        kj::str(message.c_str())));
}

std::string directoryOf(const std::string& path) {
  auto slash = path.find_last_of("/\\");
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

StdioSchemaFile::StdioSchemaFile(std::string path, std::vector<std::string> importDirs)
    : path_(std::move(path)), importDirs_(std::move(importDirs)) {}

kj::Array<const char> StdioSchemaFile::readContent() const {
  std::FILE* f = std::fopen(path_.c_str(), "rb");
  if (f == nullptr) fail("cannot open " + path_ + ": " + std::strerror(errno));
  std::string content;
  char buffer[16384];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) content.append(buffer, n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) fail("cannot read " + path_);
  auto out = kj::heapArray<char>(content.size());
  if (!content.empty()) std::memcpy(out.begin(), content.data(), content.size());
  return kj::mv(out);
}

kj::Maybe<kj::Own<capnp::SchemaFile>> StdioSchemaFile::import(kj::StringPtr path) const {
  std::string wanted(path.cStr());
  if (!wanted.empty() && wanted.front() == '/') {
    for (const auto& dir : importDirs_) {
      std::string candidate = dir + wanted;
      if (readable(candidate)) return kj::Own<capnp::SchemaFile>(kj::heap<StdioSchemaFile>(candidate, importDirs_));
    }
    return nullptr;
  }
  std::string candidate = directoryOf(path_) + "/" + wanted;
  if (!readable(candidate)) return nullptr;
  return kj::Own<capnp::SchemaFile>(kj::heap<StdioSchemaFile>(candidate, importDirs_));
}

bool StdioSchemaFile::operator==(const SchemaFile& other) const {
  auto* same = dynamic_cast<const StdioSchemaFile*>(&other);
  return same != nullptr && same->path_ == path_;
}

size_t StdioSchemaFile::hashCode() const { return std::hash<std::string>()(path_); }

void StdioSchemaFile::reportError(SourcePos start, SourcePos, kj::StringPtr message) const {
  // As Cap'n Proto's own disk files do: recoverable, so the parser reports every error it finds
  // before it throws.
  kj::getExceptionCallback().onRecoverableException(
      kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                    kj::str(path_, ":", start.line + 1, ":", start.column + 1, ": ", message)));
}

}  // namespace bitbridge::proxygen
