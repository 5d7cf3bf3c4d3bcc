// Text output: one block per file, a label column then the value, dependencies one per line
// as ldd prints them (name => where).
#include <algorithm>
#include <cstdio>
#include <iomanip>

#include "bitbridge/component.h"

#include "report.h"

namespace bitbridge::cli {
namespace {

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

void line(std::ostream& out, const char* label, const std::string& value) {
  out << "  " << std::left << std::setw(14) << (std::string(label) + ":") << value << '\n';
}

std::string dependencyText(const Dependency& d) {
  switch (d.status) {
    case DependencyStatus::Found: return "=> " + d.path;
    case DependencyStatus::ProvidedByHost:
      return "=> provided by the host" + (d.path.empty() ? "" : " (" + d.path + ")");
    case DependencyStatus::System: return "=> system DLL";
    case DependencyStatus::Missing: return "=> MISSING (not found)";
    case DependencyStatus::WrongBitness: return "=> WRONG BITNESS: " + d.detail;
    case DependencyStatus::Unreadable: return "=> UNREADABLE: " + d.path + ": " + d.detail;
    case DependencyStatus::NotResolvedHere: return "=> not resolved here: " + d.detail;
  }
  return "";
}

void writeFile(std::ostream& out, const FileReport& r, const InspectOptions& options) {
  out << r.path << '\n';
  if (r.error) {
    line(out, "error", r.error->message());
    if (!r.error->hint().empty()) line(out, "fix", r.error->hint());
    line(out, "status", "PROBLEM");
    return;
  }
  const BinaryImage& image = *r.image;
  const BinaryInfo& h = image.header;
  char machine[16];
  std::snprintf(machine, sizeof machine, "0x%04x", static_cast<unsigned>(h.machine));
  line(out, "format", h.description);
  line(out, "kind", std::string(binaryKindName(image.kind)) + ", " +
                        (h.format == BinaryFormat::Elf ? "ELF" : "PE") + ", " +
                        std::to_string(h.bits) + "-bit, machine " + machine);
  if (h.dotnet) {
    char flags[16];
    std::snprintf(flags, sizeof flags, "0x%08x", static_cast<unsigned>(h.corFlags));
    line(out, ".NET", dotnetPlatform(h) + " (CorFlags " + flags + ": " +
                          corFlagNames(h.corFlags) + ")");
  }
  line(out, "host", r.host.host.empty() ? "none: " + r.host.reason : r.host.host);
  if (!image.soname.empty()) line(out, h.format == BinaryFormat::Elf ? "soname" : "dll name", image.soname);
  if (!image.rpath.empty()) line(out, "rpath", join(image.rpath, ":"));
  if (!image.runpath.empty()) line(out, "runpath", join(image.runpath, ":"));

  if (image.exportsComponentEntry()) {
    line(out, "component", "yes (exports " BITBRIDGE_COMPONENT_ENTRY_NAME ")");
    const ClassListing& c = r.classes;
    switch (c.status) {
      case ClassListing::Status::Listed:
        line(out, "classes", join(c.classes, ", ") + " (loaded by " + c.host + ")");
        break;
      case ClassListing::Status::Failed:
        line(out, "classes", "LOAD FAILED: " + std::string(errorKindName(c.error->kind())) +
                                 ": " + c.error->message());
        if (!c.error->hint().empty()) line(out, "fix", c.error->hint());
        break;
      case ClassListing::Status::Skipped: line(out, "classes", "not listed: " + c.reason); break;
    }
  } else {
    line(out, "component", "no (does not export " BITBRIDGE_COMPONENT_ENTRY_NAME ")");
  }

  std::string exports = std::to_string(image.exports.size()) + " symbol" +
                        (image.exports.size() == 1 ? "" : "s");
  if (!options.listExports && !image.exports.empty()) exports += " (--exports lists them)";
  line(out, "exports", exports);
  if (options.listExports) {
    for (const auto& name : image.exports) out << "    " << name << '\n';
  }

  if (h.format == BinaryFormat::Elf && !image.dynamic) {
    line(out, "dependencies", "none (statically linked)");
  } else {
    line(out, "dependencies", r.dependencies.empty() ? "none" : r.resolution);
    size_t width = 0;
    for (const auto& d : r.dependencies) width = std::max(width, (d.depth - 1) * 2 + d.name.size());
    for (const auto& d : r.dependencies) {
      std::string name = std::string((d.depth - 1) * 2, ' ') + d.name;
      out << "    " << std::left << std::setw(static_cast<int>(width + 1)) << name
          << dependencyText(d) << (d.delayLoaded ? " [delay-loaded]" : "") << '\n';
    }
  }
  if (r.problems.empty()) {
    line(out, "status", "ok");
  } else {
    line(out, "status", "PROBLEM");
    for (const auto& p : r.problems) out << "    - " << p << '\n';
  }
}

}  // namespace

void writeText(std::ostream& out, const std::vector<FileReport>& reports,
               const InspectOptions& options) {
  bool first = true;
  for (const auto& r : reports) {
    if (!first) out << '\n';
    first = false;
    writeFile(out, r, options);
  }
}

}  // namespace bitbridge::cli
