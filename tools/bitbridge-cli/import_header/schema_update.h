// `--update SCHEMA`: merges a fresh draft into the schema a user has edited, so that their
// answers survive a newer header. Per C declaration (matched by the `# bitbridge:` marker's
// kind and name):
//   - unchanged declaration: the user's block, exactly as they left it;
//   - changed declaration: the new draft, with a CHANGED line giving the old declaration and
//     the user's old block below it, commented out, to carry answers over by hand;
//   - new declaration: the new draft, appended;
//   - gone from the header: the user's block commented out under a REMOVED line (an earlier
//     REMOVED block is kept as it is).
// The preamble (file id, imports, the user's additions) and the interface line are the
// user's. Methods keep their order and ordinals; new ones get the next ordinals; ordinals are
// then made contiguous (capnp requires it), which renumbers only methods after a removed one.
#pragma once

#include <string>
#include <vector>

#include "schema_blocks.h"

namespace bitbridge::importer {

struct UpdateReport {
  std::vector<std::string> kept, changed, added, removed;  ///< C names
};

SchemaFile mergeUpdate(const SchemaFile& existing, const SchemaFile& fresh, UpdateReport& report);

}  // namespace bitbridge::importer
