// The C layout of a Cap'n Proto struct (/bitbridge/c.capnp annotations: $array, $lengthOf,
// $handle, $type), as THIS process's compiler lays the struct out: sizes and in-struct
// alignments are measured with sizeof/offsetof where this file is compiled, never assumed.
//
// Why it is in common/: both sides lay out C structs. A host binding a library
// (host/bind/c_binding_plan.h) needs the host's ABI; a drop-in proxy (client/proxy/) reads and
// writes its caller's structs, so it needs the client's ABI. Compiled into each bitness, the same
// code gives each side its own layout (i386 Linux aligns a double member to 4, x86-64 and 32-bit
// Windows to 8); across processes the values travel as Cap'n Proto fields only, never as bytes.
//
// Thread assumption: a StructLayouts is filled and read on one thread (or read-only after).
// Lifetime: layouts are owned by their StructLayouts and never move (held by unique_ptr), so
// pointers to them stay valid as long as it lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitbridge/detail/capnp_schema.h"

#include "common/internal_api.h"

namespace bitbridge::cbind {

/// A C scalar type, as this process's ABI has it (Pointer: any data pointer).
enum class CKind : uint8_t { Void, Bool, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64, Pointer };

/// Bytes of one value of `kind` in this process's ABI (0 for Void).
BITBRIDGE_INTERNAL_API size_t cSize(CKind kind);
/// "int32", "double", ... for messages.
BITBRIDGE_INTERNAL_API const char* cKindName(CKind kind);
/// The C kind of one wchar_t: this process's (U16 on Windows, U32 on Linux).
BITBRIDGE_INTERNAL_API CKind wcharKind();
/// How this process's compiler aligns a `kind` member inside a struct.
BITBRIDGE_INTERNAL_API size_t memberAlign(CKind kind);

struct StructLayout;

/// One C value as it sits in memory: a scalar, or a struct (then `layout` says how).
struct BITBRIDGE_INTERNAL_API CValueType {
  CKind kind = CKind::Void;               ///< Void when this is a struct
  const StructLayout* layout = nullptr;   ///< a struct's layout (owned by a StructLayouts)
  size_t size() const;
  size_t align() const;
  bool isStruct() const { return layout != nullptr; }
};

/// What a member of a C struct is made from (a Cap'n Proto struct's field).
enum class MemberRole : uint8_t {
  Value,     ///< a scalar (number, Bool, enum), inline
  Struct,    ///< a nested struct, inline
  Array,     ///< $array(N): N scalars or structs inline (List), or char/uchar[N] (Text/Data)
  Pointer,   ///< const T* to a List's elements, const char* (Text), const uchar* (Data)
  LengthOf,  ///< an integer: the element count of the Pointer member it names
  Handle,    ///< an opaque pointer, a token on the wire
};

struct MemberPlan {
  std::string name;
  capnp::StructSchema::Field field;
  MemberRole role = MemberRole::Value;
  CValueType type;       ///< the value's; for Array and Pointer, one element's
  bool text = false;     ///< Array/Pointer of a Text field (char, NUL-terminated)
  uint32_t count = 0;    ///< Array: N
  size_t offset = 0;     ///< in the C struct
  int source = -1;       ///< LengthOf: the Pointer member it counts; Pointer: its LengthOf member
  std::string handleKind;
};

/// A C struct as this process's compiler lays it out.
struct StructLayout {
  std::string name;  ///< the Cap'n Proto struct's display name, for messages
  uint64_t id = 0;
  capnp::StructSchema schema;
  std::vector<MemberPlan> members;  ///< in C order (Cap'n Proto ordinal order)
  size_t size = 0;
  size_t align = 1;
};

/// Largest buffer one C value may point to, in bytes: a count above it (a garbage length) is
/// refused before anything is allocated.
constexpr uint64_t kMaxOutBufferBytes = 256ull << 20;

/// Largest element count of an inline $array and largest C struct, in bytes.
constexpr uint32_t kMaxInlineArray = 1u << 20;
constexpr size_t kMaxStructBytes = 16u << 20;

/// Throws Error{BadConfiguration} "<where>: <what>", pointing at the binding annotations' docs.
[[noreturn]] BITBRIDGE_INTERNAL_API void refuseSchema(const std::string& where, const std::string& what);

/// The value of annotation `id` in `list`, if present.
BITBRIDGE_INTERNAL_API std::optional<capnp::schema::Value::Reader> findAnnotation(
    capnp::List<capnp::schema::Annotation>::Reader list, uint64_t id);

/// The C kind of a scalar field (number, Bool, enum), honouring $type (a `long` is this
/// process's); nullopt if the type is not a scalar. Refuses a $type that does not fit the field.
BITBRIDGE_INTERNAL_API std::optional<CKind> scalarKind(capnp::Type type, std::optional<capnp::schema::Value::Reader> ctype,
                                const std::string& where);

/// Whether `type` is /bitbridge/bulk.capnp's Bulk.BulkRef (by node id); refuses a node with
/// that id but other fields.
BITBRIDGE_INTERNAL_API bool isBulkRef(capnp::Type type, const std::string& where);

/// The layouts of the structs of one schema, each planned once and shared by every use.
class BITBRIDGE_INTERNAL_API StructLayouts {
 public:
  /// The layout of `schema`. Throws Error{BadConfiguration} naming `where` (and the struct and
  /// field) for what has no C meaning: unions, groups, a struct that contains itself or has no
  /// field, a Bulk.BulkRef inside it, an annotation that does not fit its field.
  const StructLayout* layoutOf(capnp::StructSchema schema, const std::string& where);

  /// One element of a List (a scalar or a struct) or Data (unsigned char); nullopt if `type`
  /// is neither. Refuses a list whose elements have no C array form (lists, texts, ...).
  std::optional<CValueType> bufferElement(capnp::Type type, const std::string& where);

 private:
  MemberPlan member(capnp::StructSchema::Field field, const std::string& structWhere);
  static void resolveMemberLengths(StructLayout& layout, const std::string& structWhere);

  std::vector<std::unique_ptr<StructLayout>> layouts_;
};

}  // namespace bitbridge::cbind
