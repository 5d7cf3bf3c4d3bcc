// A Cap'n Proto SchemaFile read with the C library's file functions instead of KJ's disk
// filesystem. The Windows `bitbridge.exe` writes proxies at build time, run by Wine in a cross
// build, and KJ's Win32 filesystem does not work there (Wine 8 refuses the
// GetFileInformationByHandleEx(FileCompressionInfo) it asks every file for); fopen works on
// both systems and takes the paths as the build gives them ("/usr/include" under Wine is the
// current drive's root, the Unix root).
//
// Imports: "/x/y.capnp" is looked up in each import directory in order, anything else next to
// the importing file. Lifetime: a file keeps a copy of the import directories; the parser owns
// the files it imports. Single-threaded, like SchemaParser.
#pragma once

#include <string>
#include <vector>

#include <capnp/schema-parser.h>

namespace bitbridge::proxygen {

class StdioSchemaFile final : public capnp::SchemaFile {
 public:
  StdioSchemaFile(std::string path, std::vector<std::string> importDirs);

  kj::StringPtr getDisplayName() const override { return path_; }
  kj::Array<const char> readContent() const override;
  kj::Maybe<kj::Own<SchemaFile>> import(kj::StringPtr path) const override;
  bool operator==(const SchemaFile& other) const override;
  bool operator!=(const SchemaFile& other) const override { return !(*this == other); }
  size_t hashCode() const override;
  void reportError(SourcePos start, SourcePos end, kj::StringPtr message) const override;

 private:
  std::string path_;
  std::vector<std::string> importDirs_;
};

}  // namespace bitbridge::proxygen
