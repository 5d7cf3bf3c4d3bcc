// JSON output, schema "bitbridge-inspect/1" (docs/reference.md). Keys are never removed or
// renamed within a schema version; new keys may be added.
#include <cstdio>

#include "report.h"

namespace bitbridge::cli {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
  }
  return out + "\"";
}

std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + quote(items[i]);
  return out + "]";
}

const char* boolean(bool b) { return b ? "true" : "false"; }

std::string errorObject(const Error& e) {
  return "{\"kind\": " + quote(std::string(errorKindName(e.kind()))) +
         ", \"message\": " + quote(e.message()) + ", \"hint\": " + quote(e.hint()) + "}";
}

void writeFile(std::ostream& out, const FileReport& r) {
  out << "    {\n      \"path\": " << quote(r.path) << ",\n";
  out << "      \"ok\": " << boolean(r.problems.empty()) << ",\n";
  out << "      \"problems\": " << list(r.problems) << ",\n";
  if (r.error) {
    out << "      \"error\": " << errorObject(*r.error) << "\n    }";
    return;
  }
  out << "      \"error\": null,\n";
  const BinaryImage& image = *r.image;
  const BinaryInfo& h = image.header;
  out << "      \"format\": " << quote(h.format == BinaryFormat::Elf ? "ELF" : "PE") << ",\n";
  out << "      \"description\": " << quote(h.description) << ",\n";
  out << "      \"kind\": " << quote(binaryKindName(image.kind)) << ",\n";
  out << "      \"machine\": " << h.machine << ",\n";
  out << "      \"bits\": " << h.bits << ",\n";
  out << "      \"arch\": " << (h.arch ? quote(std::string(archName(*h.arch))) : "null") << ",\n";
  if (h.dotnet) {
    out << "      \"dotnet\": {\"corFlags\": " << h.corFlags
        << ", \"flags\": " << quote(corFlagNames(h.corFlags))
        << ", \"platform\": " << quote(dotnetPlatform(h))
        << ", \"anyCpu\": " << boolean(h.dotnetAnyCpu) << "},\n";
  } else {
    out << "      \"dotnet\": null,\n";
  }
  out << "      \"host\": " << (r.host.host.empty() ? "null" : quote(r.host.host)) << ",\n";
  out << "      \"hostReason\": " << quote(r.host.reason) << ",\n";
  out << "      \"soname\": " << quote(image.soname) << ",\n";
  out << "      \"rpath\": " << list(image.rpath) << ",\n";
  out << "      \"runpath\": " << list(image.runpath) << ",\n";
  out << "      \"component\": " << boolean(image.exportsComponentEntry()) << ",\n";
  const ClassListing& c = r.classes;
  out << "      \"classes\": {\"status\": " << quote(classListingStatusName(c.status))
      << ", \"names\": " << list(c.classes) << ", \"host\": " << quote(c.host)
      << ", \"reason\": " << quote(c.reason)
      << ", \"error\": " << (c.error ? errorObject(*c.error) : "null") << "},\n";
  out << "      \"exports\": " << list(image.exports) << ",\n";
  out << "      \"resolution\": " << quote(r.resolution) << ",\n";
  out << "      \"dependencies\": [";
  for (size_t i = 0; i < r.dependencies.size(); ++i) {
    const Dependency& d = r.dependencies[i];
    out << (i ? "," : "") << "\n        {\"name\": " << quote(d.name)
        << ", \"status\": " << quote(dependencyStatusName(d.status))
        << ", \"path\": " << quote(d.path) << ", \"neededBy\": " << quote(d.neededBy)
        << ", \"depth\": " << d.depth << ", \"delayLoaded\": " << boolean(d.delayLoaded)
        << ", \"detail\": " << quote(d.detail) << "}";
  }
  out << (r.dependencies.empty() ? "]\n" : "\n      ]\n") << "    }";
}

}  // namespace

void writeJson(std::ostream& out, const std::vector<FileReport>& reports) {
  bool ok = true;
  for (const auto& r : reports) ok = ok && r.problems.empty();
  out << "{\n  \"schema\": \"bitbridge-inspect/1\",\n  \"ok\": " << boolean(ok)
      << ",\n  \"files\": [\n";
  for (size_t i = 0; i < reports.size(); ++i) {
    writeFile(out, reports[i]);
    out << (i + 1 < reports.size() ? ",\n" : "\n");
  }
  out << "  ]\n}\n";
}

}  // namespace bitbridge::cli
