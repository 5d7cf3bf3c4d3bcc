// ComVariant (bitbridge/com.h): a VARIANT as a portable value, used by the client API and by the
// host's conversion to and from real VARIANTs. Portable; values are not shared between threads
// except through const access.
#include <cmath>
#include <limits>

#include "bitbridge/com.h"
#include "bitbridge/error.h"
#include "common/com_variant_wire.h"
#include "common/wide_text.h"

namespace bitbridge {

ComObjectHandle::~ComObjectHandle() = default;

const char* variantTypeName(VariantType type) {
  switch (type) {
    case VariantType::Empty: return "empty";
    case VariantType::Null: return "null";
    case VariantType::I1: return "i1";
    case VariantType::I2: return "i2";
    case VariantType::I4: return "i4";
    case VariantType::I8: return "i8";
    case VariantType::UI1: return "ui1";
    case VariantType::UI2: return "ui2";
    case VariantType::UI4: return "ui4";
    case VariantType::UI8: return "ui8";
    case VariantType::R4: return "r4";
    case VariantType::R8: return "r8";
    case VariantType::Currency: return "currency";
    case VariantType::Date: return "date";
    case VariantType::Decimal: return "decimal";
    case VariantType::Bool: return "bool";
    case VariantType::BStr: return "bstr";
    case VariantType::Error: return "error";
    case VariantType::Missing: return "missing";
    case VariantType::Array: return "array";
    case VariantType::Object: return "object";
    case VariantType::Unknown: return "unknown";
    case VariantType::Nothing: return "nothing";
    case VariantType::Record: return "record";
  }
  return "?";
}

namespace {

[[noreturn]] void wrongType(VariantType held, const char* wanted) {
  throw Error(ErrorKind::BadConfiguration,
              std::string("the variant holds ") + variantTypeName(held) + ", not " + wanted,
              "check type() before reading, or convert on the COM side (CLng, CStr...)");
}

bool isInteger(VariantType type) {
  switch (type) {
    case VariantType::I1: case VariantType::I2: case VariantType::I4: case VariantType::I8:
    case VariantType::UI1: case VariantType::UI2: case VariantType::UI4: case VariantType::UI8:
      return true;
    default:
      return false;
  }
}

}  // namespace

ComVariant::ComVariant(const char* text) : ComVariant(std::string(text)) {}
ComVariant::ComVariant(const std::string& text)
    : type_(VariantType::BStr), units_(utf8ToUtf16(text, "a ComVariant string")) {}
ComVariant::ComVariant(ComSafeArray array)
    : type_(VariantType::Array), array_(std::make_shared<ComSafeArray>(std::move(array))) {}
ComVariant::ComVariant(ComRecord record)
    : type_(VariantType::Record), record_(std::make_shared<ComRecord>(std::move(record))) {}

ComVariant ComVariant::null() {
  ComVariant v;
  v.type_ = VariantType::Null;
  return v;
}
ComVariant ComVariant::missing() {
  ComVariant v;
  v.type_ = VariantType::Missing;
  return v;
}
ComVariant ComVariant::nothing() {
  ComVariant v;
  v.type_ = VariantType::Nothing;
  return v;
}
ComVariant ComVariant::error(int32_t scode) {
  ComVariant v;
  v.type_ = VariantType::Error;
  v.int_ = scode;
  return v;
}

ComVariant ComVariant::integer(VariantType type, int64_t value) {
  int64_t low = 0, high = 0;
  switch (type) {
    case VariantType::I1: low = INT8_MIN; high = INT8_MAX; break;
    case VariantType::I2: low = INT16_MIN; high = INT16_MAX; break;
    case VariantType::I4: low = INT32_MIN; high = INT32_MAX; break;
    case VariantType::I8: low = INT64_MIN; high = INT64_MAX; break;
    case VariantType::UI1: high = UINT8_MAX; break;
    case VariantType::UI2: high = UINT16_MAX; break;
    case VariantType::UI4: high = UINT32_MAX; break;
    case VariantType::UI8: high = INT64_MAX; break;  // larger: unsignedInteger()
    default:
      throw Error(ErrorKind::BadConfiguration,
                  std::string("ComVariant::integer: ") + variantTypeName(type) +
                      " is not an integer type",
                  "use one of I1, I2, I4, I8, UI1, UI2, UI4, UI8");
  }
  if (value < low || value > high) {
    throw Error(ErrorKind::BadConfiguration,
                std::to_string(value) + " does not fit in a " + variantTypeName(type),
                "choose a wider integer type");
  }
  ComVariant v;
  v.type_ = type;
  v.int_ = value;
  v.uint_ = static_cast<uint64_t>(value);
  return v;
}
ComVariant ComVariant::unsignedInteger(uint64_t value) {
  ComVariant v;
  v.type_ = VariantType::UI8;
  v.uint_ = value;
  v.int_ = static_cast<int64_t>(value);
  return v;
}
ComVariant ComVariant::single(float value) {
  ComVariant v;
  v.type_ = VariantType::R4;
  v.real_ = value;
  return v;
}
ComVariant ComVariant::currency(int64_t scaled) {
  ComVariant v;
  v.type_ = VariantType::Currency;
  v.int_ = scaled;
  return v;
}
ComVariant ComVariant::date(double oleDate) {
  ComVariant v;
  v.type_ = VariantType::Date;
  v.real_ = oleDate;
  return v;
}
ComVariant ComVariant::decimal(ComDecimal value) {
  ComVariant v;
  v.type_ = VariantType::Decimal;
  v.decimal_ = value;
  return v;
}
ComVariant ComVariant::object(std::shared_ptr<ComObjectHandle> handle, bool dispatch) {
  ComVariant v;
  v.type_ = handle == nullptr ? VariantType::Nothing
                              : (dispatch ? VariantType::Object : VariantType::Unknown);
  v.object_ = std::move(handle);
  return v;
}

int64_t ComVariant::asInt() const {
  if (isInteger(type_) || type_ == VariantType::Bool || type_ == VariantType::Error) return int_;
  if (type_ == VariantType::Currency) return int_ / 10000;
  wrongType(type_, "an integer");
}
uint64_t ComVariant::asUInt64() const {
  if (type_ == VariantType::UI8) return uint_;
  return static_cast<uint64_t>(asInt());
}
double ComVariant::asDouble() const {
  if (type_ == VariantType::R4 || type_ == VariantType::R8 || type_ == VariantType::Date) {
    return real_;
  }
  if (type_ == VariantType::UI8) return static_cast<double>(uint_);
  if (isInteger(type_)) return static_cast<double>(int_);
  if (type_ == VariantType::Currency) return static_cast<double>(int_) / 10000.0;
  wrongType(type_, "a number");
}
bool ComVariant::asBool() const {
  if (type_ == VariantType::Bool || isInteger(type_)) return int_ != 0;
  wrongType(type_, "a bool");
}
int64_t ComVariant::currencyScaled() const {
  if (type_ != VariantType::Currency) wrongType(type_, "currency");
  return int_;
}
const std::u16string& ComVariant::bstr() const {
  if (type_ != VariantType::BStr) wrongType(type_, "a bstr");
  return units_;
}
std::string ComVariant::text() const {
  const auto& units = bstr();
  return utf16ToUtf8(units.data(), units.size());
}
const ComSafeArray& ComVariant::array() const {
  if (type_ != VariantType::Array) wrongType(type_, "an array");
  return *array_;
}
const ComRecord& ComVariant::record() const {
  if (type_ != VariantType::Record) wrongType(type_, "a record");
  return *record_;
}
const ComDecimal& ComVariant::decimal() const {
  if (type_ != VariantType::Decimal) wrongType(type_, "a decimal");
  return decimal_;
}

std::string ComVariant::describe() const {
  std::string name = variantTypeName(type_);
  switch (type_) {
    case VariantType::BStr: return name + " \"" + text() + "\"";
    case VariantType::R4: case VariantType::R8: case VariantType::Date:
      return name + " " + std::to_string(real_);
    case VariantType::UI8: return name + " " + std::to_string(uint_);
    case VariantType::Array:
      if (array_->elementType == varTypeOf(VariantType::Record)) {
        return name + "(record " + array_->recordType.name + ")[" +
               std::to_string(array_->elements.size()) + "]";
      }
      return name + "(" + std::to_string(array_->elementType) + ")[" +
             std::to_string(array_->elements.size()) + "]";
    case VariantType::Record:
      return name + " " + record_->name + "{" + std::to_string(record_->fields.size()) +
             " fields}";
    default:
      if (isInteger(type_) || type_ == VariantType::Bool || type_ == VariantType::Currency ||
          type_ == VariantType::Error) {
        return name + " " + std::to_string(int_);
      }
      return name;
  }
}

ComSafeArray ComSafeArray::ofRecords(ComRecord type, std::vector<ComRecord> elements,
                                     int32_t lower) {
  ComSafeArray array;
  array.elementType = varTypeOf(VariantType::Record);
  type.fields.clear();
  array.recordType = std::move(type);
  array.bounds.push_back({lower, static_cast<uint32_t>(elements.size())});
  array.elements.reserve(elements.size());
  for (auto& element : elements) array.elements.emplace_back(std::move(element));
  return array;
}

ComSafeArray ComSafeArray::ofVariants(std::vector<ComVariant> elements) {
  ComSafeArray array;
  array.elementType = 12;  // VT_VARIANT
  array.bounds.push_back({0, static_cast<uint32_t>(elements.size())});
  array.elements = std::move(elements);
  return array;
}

namespace {

template <typename Record>
auto& findField(Record& record, const std::string& fieldName) {
  for (auto& field : record.fields) {
    if (sameComName(field.name, fieldName)) return field.value;
  }
  std::string names;
  for (const auto& field : record.fields) names += (names.empty() ? "" : ", ") + field.name;
  throw Error(ErrorKind::NotFound,
              "record " + record.name + " has no field '" + fieldName + "' (it has: " + names +
                  ")",
              "use the field names of the record's Type (records the host returns name them)");
}

}  // namespace

const ComVariant& ComRecord::field(const std::string& fieldName) const {
  return findField(*this, fieldName);
}
ComVariant& ComRecord::field(const std::string& fieldName) { return findField(*this, fieldName); }

}  // namespace bitbridge
