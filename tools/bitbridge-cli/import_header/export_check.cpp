#include "export_check.h"

#include <algorithm>

#include "bitbridge/error.h"
#include "common/binary/binary_image.h"
#include "host_requirement.h"

namespace bitbridge::importer {
namespace {

bool exported(const BinaryImage& image, const std::string& name) {
  return std::binary_search(image.exports.begin(), image.exports.end(), name);
}

// A __stdcall export's decorated names: `_name@N` (MSVC) and `name@N` (mingw), N unknown here
// (it depends on the host's argument sizes), so any N is accepted.
std::string decorated(const BinaryImage& image, const std::string& name) {
  for (const std::string& prefix : {std::string("_") + name + "@", name + "@"}) {
    auto it = std::lower_bound(image.exports.begin(), image.exports.end(), prefix);
    for (; it != image.exports.end() && it->compare(0, prefix.size(), prefix) == 0; ++it) {
      std::string digits = it->substr(prefix.size());
      if (!digits.empty() && std::all_of(digits.begin(), digits.end(), ::isdigit)) return *it;
    }
  }
  return "";
}

}  // namespace

LibraryCheck checkLibrary(const std::string& library, const CModel& model) {
  BinaryImage image = readBinaryImage(library);
  cli::HostRequirement host = cli::hostRequirement(image);
  if (host.host.empty()) {
    throw Error(ErrorKind::WrongBitness, library + ": no bitbridge host can load it: " + host.reason,
                "pass the library that the program will really call, built for x86 or x86-64");
  }
  LibraryCheck check;
  check.path = library;
  check.description = image.header.description;
  check.host = host.host;
  check.pointerBits = image.header.arch == Arch::x86 ? 32 : 64;
  check.exportCount = image.exports.size();
  check.ordinalOnly = image.ordinalOnlyExports;
  for (const CFunction& f : model.functions) {
    ExportStatus status;
    if (exported(image, f.name)) {
      status.state = ExportStatus::State::Exported;
    } else if (image.header.format == BinaryFormat::Pe && !(status.symbol = decorated(image, f.name)).empty()) {
      status.state = ExportStatus::State::Decorated;
    } else {
      check.missing.push_back(f.name);
    }
    check.functions[f.name] = status;
  }
  return check;
}

std::string ordinalList(const std::vector<uint32_t>& ordinals) {
  std::string out = ordinals.size() == 1 ? "ordinal " : "ordinals ";
  for (size_t i = 0; i < ordinals.size() && i < 10; ++i) {
    out += (i == 0 ? "" : i + 1 == ordinals.size() ? " and " : ", ") + std::to_string(ordinals[i]);
  }
  if (ordinals.size() > 10) out += ", ...";
  return out;
}

std::vector<std::string> targetArgsFor(const std::string& library,
                                       const std::vector<std::string>& clangArgs) {
  for (const auto& a : clangArgs) {
    if (a == "-m32" || a == "-m64" || a.rfind("--target", 0) == 0 || a == "-target") return {};
  }
  BinaryInfo header = readBinaryImage(library).header;
  // Only ELF: a PE library's header is read for Windows with `-- --target=i686-w64-mingw32`
  // (or x86_64-w64-mingw32), which needs those headers; the user chooses.
  if (header.format != BinaryFormat::Elf || !header.arch) return {};
  return {*header.arch == Arch::x86 ? "-m32" : "-m64"};
}

}  // namespace bitbridge::importer
