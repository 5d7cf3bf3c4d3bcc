// The drafted schema as a sequence of blocks, one per C declaration, so that `--update` can
// match a rerun's blocks with the ones a user has edited. Each block starts with a marker line
//   # bitbridge:<kind> <C name> [<C declaration the block was drafted from>]
// and runs to the next marker. The file is: a preamble (everything before the first marker:
// file id, imports, the user's own additions), the top-level blocks (struct, enum, callback,
// removed), the interface block (its `interface X {` line), the function blocks (fn, removed),
// then the closing `}`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bitbridge::importer {

struct Block {
  std::string kind;       ///< "struct", "enum", "callback", "interface", "fn", "removed"
  std::string name;       ///< the C name (the removed block: the C name it had)
  std::string signature;  ///< the C declaration; equal signature = unchanged declaration
  std::string text;       ///< the whole block, marker line included, ending in "\n"
  /// fn: the method's ordinal (@N) if the block holds an uncommented method.
  std::optional<unsigned> ordinal() const;
  /// The same text with the method's ordinal replaced.
  void setOrdinal(unsigned ordinal);
};

struct SchemaFile {
  std::string preamble;
  std::vector<Block> top;      ///< before the interface
  std::optional<Block> interface;
  std::vector<Block> methods;  ///< inside the interface
};

/// The marker line of a block.
std::string markerLine(const std::string& indent, const std::string& kind,
                       const std::string& name, const std::string& signature);

/// Joins the parts into the file's text.
std::string render(const SchemaFile& file);

/// Splits a file written by render() (and edited by a user) back into its parts. Throws
/// bitbridge::Error{BadConfiguration} naming `path` when it has no interface marker.
SchemaFile parseSchemaFile(const std::string& text, const std::string& path);

}  // namespace bitbridge::importer
