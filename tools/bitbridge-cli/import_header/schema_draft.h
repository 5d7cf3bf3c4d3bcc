// The mapping from C declarations to an annotated Cap'n Proto schema (/bitbridge/c.capnp),
// following docs/getting-started.md's "C declaration -> schema" table. What the header cannot
// settle (is a pointer in or out, where is an array's length, who frees a string) is drafted
// with a default that bind accepts and marked with a `# QUESTION(<function>.<parameter>):`
// line naming the default; what bind cannot call at all (variadic functions, callbacks,
// unions) is drafted commented out with a `# NOT BOUND(<name>):` line saying why.
#pragma once

#include <string>

#include "c_model.h"
#include "export_check.h"
#include "schema_blocks.h"

namespace bitbridge::importer {

struct DraftOptions {
  std::string interfaceName;  ///< default: from the header's file name
  std::string headerName;     ///< the header's file name, for the comments and the file id
  const LibraryCheck* library = nullptr;  ///< --library, if given
};

SchemaFile draftSchema(const CModel& model, const DraftOptions& options);

/// How many `QUESTION(` lines `text` still has (answered ones are deleted by the user).
size_t countQuestions(const std::string& text);

}  // namespace bitbridge::importer
