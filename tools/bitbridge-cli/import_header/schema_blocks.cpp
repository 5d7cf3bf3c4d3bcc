#include "schema_blocks.h"

#include <regex>
#include <sstream>

#include "bitbridge/error.h"

namespace bitbridge::importer {
namespace {

// An uncommented method line: `name @N (`.
const std::regex& methodLine() {
  static const std::regex re(R"(^(\s*[a-z][A-Za-z0-9]*\s+@)(\d+)(\s*\())");
  return re;
}

const std::regex& marker() {
  static const std::regex re(R"(^\s*# bitbridge:([a-z]+) (\S+)(?: \[(.*)\])?\s*$)");
  return re;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

std::optional<unsigned> Block::ordinal() const {
  for (const auto& line : lines(text)) {
    std::smatch m;
    if (std::regex_search(line, m, methodLine())) return static_cast<unsigned>(std::stoul(m[2]));
  }
  return std::nullopt;
}

void Block::setOrdinal(unsigned ordinal) {
  std::string out;
  bool done = false;
  for (const auto& line : lines(text)) {
    std::smatch m;
    if (!done && std::regex_search(line, m, methodLine())) {
      out += m.prefix().str() + m[1].str() + std::to_string(ordinal) + m[3].str() + m.suffix().str();
      done = true;
    } else {
      out += line;
    }
    out += "\n";
  }
  text = out;
}

std::string markerLine(const std::string& indent, const std::string& kind,
                       const std::string& name, const std::string& signature) {
  return indent + "# bitbridge:" + kind + " " + name + (signature.empty() ? "" : " [" + signature + "]") + "\n";
}

std::string render(const SchemaFile& file) {
  std::string out = file.preamble;
  for (const auto& b : file.top) out += b.text;
  if (file.interface) out += file.interface->text;
  for (const auto& b : file.methods) out += b.text;
  out += "}\n";
  return out;
}

SchemaFile parseSchemaFile(const std::string& text, const std::string& path) {
  SchemaFile file;
  std::vector<std::string> all = lines(text);
  // The interface's closing brace: the last line that is exactly "}".
  size_t end = all.size();
  while (end > 0 && all[end - 1] != "}") --end;
  if (end == 0) {
    throw Error(ErrorKind::BadConfiguration,
                path + " has no closing `}` of its interface at the start of a line",
                "--update reads a schema written by `bitbridge import-header`; keep its layout");
  }
  --end;
  // Where the current line goes: indices, since the vectors grow while we read.
  enum class Where { Preamble, Top, Interface, Methods } where = Where::Preamble;
  for (size_t i = 0; i < end; ++i) {
    std::smatch m;
    if (std::regex_match(all[i], m, marker())) {
      Block b{m[1], m[2], m[3], ""};
      if (b.kind == "interface") {
        file.interface = b;
        where = Where::Interface;
      } else if (where == Where::Interface || where == Where::Methods) {
        file.methods.push_back(b);
        where = Where::Methods;
      } else {
        file.top.push_back(b);
        where = Where::Top;
      }
    }
    std::string line = all[i] + "\n";
    switch (where) {
      case Where::Preamble: file.preamble += line; break;
      case Where::Top: file.top.back().text += line; break;
      case Where::Interface: file.interface->text += line; break;
      case Where::Methods: file.methods.back().text += line; break;
    }
  }
  if (!file.interface) {
    throw Error(ErrorKind::BadConfiguration,
                path + " has no `# bitbridge:interface` marker line",
                "--update reads a schema written by `bitbridge import-header`; keep its marker "
                "lines (`# bitbridge:...`) where they are");
  }
  return file;
}

}  // namespace bitbridge::importer
