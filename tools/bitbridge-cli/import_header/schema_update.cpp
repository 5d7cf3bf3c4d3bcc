#include "schema_update.h"

#include <algorithm>
#include <map>

namespace bitbridge::importer {
namespace {

std::string commented(const std::string& text, const std::string& indent) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    // The marker line goes: the block's own marker replaces it.
    if (line.find("# bitbridge:") == std::string::npos && !line.empty()) {
      out += indent + "# | " + (line.rfind(indent, 0) == 0 ? line.substr(indent.size()) : line) + "\n";
    }
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return out;
}

std::string key(const Block& b) { return (b.kind == "removed" ? std::string("fn") : b.kind) + " " + b.name; }

// One list of blocks (top-level, or the interface's methods) merged.
std::vector<Block> mergeList(const std::vector<Block>& old, const std::vector<Block>& fresh,
                             const std::string& indent, UpdateReport& report) {
  std::map<std::string, const Block*> freshByKey;
  for (const auto& b : fresh) freshByKey[key(b)] = &b;
  std::map<std::string, const Block*> oldByKey;
  for (const auto& b : old) oldByKey[key(b)] = &b;

  std::vector<Block> out;
  for (const Block& o : old) {
    auto it = freshByKey.find(key(o));
    if (it == freshByKey.end()) {
      if (o.kind == "removed") {
        out.push_back(o);
        continue;
      }
      Block gone{"removed", o.name, o.signature, ""};
      gone.text = markerLine(indent, "removed", o.name, o.signature) + indent + "# REMOVED(" + o.name +
                  "): no longer in the header; your block, commented out:\n" + commented(o.text, indent) + "\n";
      report.removed.push_back(o.name);
      out.push_back(gone);
      continue;
    }
    const Block& n = *it->second;
    if (o.kind != "removed" && o.signature == n.signature) {
      out.push_back(o);
      report.kept.push_back(o.name);
      continue;
    }
    Block changed = n;
    if (o.kind != "removed") {
      // The new draft keeps the method's place and ordinal; the user's text follows it.
      if (auto ordinal = o.ordinal(); ordinal && changed.ordinal()) changed.setOrdinal(*ordinal);
      std::string marker = markerLine(indent, n.kind, n.name, n.signature);
      std::string rest = changed.text.substr(marker.size());
      changed.text = marker + indent + "# CHANGED(" + n.name + "): the header's declaration was [" + o.signature +
                     "]; this is a new draft, your previous block is below, commented out: carry your answers over, "
                     "then delete these lines\n" + commented(o.text, indent) + rest;
      report.changed.push_back(n.name);
    } else {
      report.added.push_back(n.name);
    }
    out.push_back(changed);
  }
  for (const Block& n : fresh) {
    if (oldByKey.count(key(n))) continue;
    out.push_back(n);
    report.added.push_back(n.name);
  }
  return out;
}

}  // namespace

SchemaFile mergeUpdate(const SchemaFile& existing, const SchemaFile& fresh, UpdateReport& report) {
  SchemaFile out;
  out.preamble = existing.preamble;
  out.interface = existing.interface ? existing.interface : fresh.interface;
  out.top = mergeList(existing.top, fresh.top, "", report);
  out.methods = mergeList(existing.methods, fresh.methods, "  ", report);

  // Ordinals: kept methods keep theirs, new ones come after the highest; then contiguous in
  // that order, as capnp allows no gaps.
  unsigned next = 0;
  for (const auto& b : out.methods) {
    if (auto o = b.ordinal()) next = std::max(next, *o + 1);
  }
  std::vector<std::pair<unsigned, Block*>> numbered;
  for (auto& b : out.methods) {
    auto o = b.ordinal();
    if (!o) continue;
    bool added = std::find(report.added.begin(), report.added.end(), b.name) != report.added.end();
    numbered.emplace_back(added ? next++ : *o, &b);
  }
  std::stable_sort(numbered.begin(), numbered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (unsigned i = 0; i < numbered.size(); ++i) numbered[i].second->setOrdinal(i);
  return out;
}

}  // namespace bitbridge::importer
