// What a C API's names suggest where its types say nothing: which integer parameter is an
// array's length (`buf`/`buf_len`, `values`/`count`), and which function frees a handle
// (`calc_close`). schema_draft.cpp drafts from these guesses, and always marks them as
// questions: a name is a hint, never proof.
#pragma once

#include <optional>
#include <string>

#include "c_model.h"

namespace bitbridge::importer {

/// Lower case without underscores: `bufferSize` and `buffer_size` compare equal.
std::string normalizedName(const std::string& name);

/// A by-value integer: the only kind of parameter $lengthOf / $length can name.
bool isCount(const CType& t);

/// Parameter `count` (normalized) is named after pointer parameter `pointer` (normalized):
/// `buf` + `buflen`, `values` + `valuescount`, `nvalues`.
bool namedLength(const std::string& pointer, const std::string& count);

/// The parameter of `f` that the names suggest is pointer parameter `i`'s length: one named
/// after it; else a count-like one (`n`, `len`, `count`, `..._size`) among the next three that
/// is not named after another pointer.
std::optional<size_t> lengthParameter(const CFunction& f, size_t i);

/// The function's name says it frees what it is given (close, free, destroy, release, ...).
bool releasesByName(const std::string& function);

}  // namespace bitbridge::importer
