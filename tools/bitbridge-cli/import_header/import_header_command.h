// `bitbridge import-header HEADER [--library FILE] [--update SCHEMA] [-o OUT] [--force]
//  [--interface NAME] [-- CLANG ARGS...]`: drafts an annotated schema for Host::bind from a C
// header. Exit status: 0 drafted; 1 a problem (the header does not parse, the library lacks
// functions of the header or no host can load it, the schema to update is unreadable); 2 usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace bitbridge::importer {

/// `args` are the words after "import-header".
int runImportHeader(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

const char* importHeaderUsage();

}  // namespace bitbridge::importer
