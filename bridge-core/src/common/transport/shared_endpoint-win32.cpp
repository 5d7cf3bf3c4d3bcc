// The parts of shared_endpoint.h that code common to both platforms calls on Windows too
// (shared hosts themselves are POSIX-only so far: client/shared_client-win32.cpp).
#include <fstream>

#include "common/transport/shared_endpoint.h"

namespace bitbridge {

std::string readFileTail(const std::string& path, size_t bytes) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return {};
  std::streamoff size = file.tellg();
  std::streamoff start = size > static_cast<std::streamoff>(bytes) ? size - static_cast<std::streamoff>(bytes) : 0;
  file.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  file.read(&text[0], static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  if (start > 0) {
    auto newline = text.find('\n');
    text.erase(0, newline == std::string::npos ? 0 : newline + 1);
  }
  return text;
}

}  // namespace bitbridge
