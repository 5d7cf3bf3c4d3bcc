#include "common/com_variant_wire.h"

#include <cctype>

#include "bitbridge/error.h"

namespace bitbridge {
namespace {

// VARTYPE values (wtypes.h), spelled out so this file builds everywhere.
enum : uint16_t {
  kVtEmpty = 0, kVtNull = 1, kVtI2 = 2, kVtI4 = 3, kVtR4 = 4, kVtR8 = 5, kVtCy = 6, kVtDate = 7,
  kVtBstr = 8, kVtDispatch = 9, kVtError = 10, kVtBool = 11, kVtVariant = 12, kVtUnknown = 13,
  kVtDecimal = 14, kVtI1 = 16, kVtUi1 = 17, kVtUi2 = 18, kVtUi4 = 19, kVtI8 = 20, kVtUi8 = 21,
  kVtRecord = 36,
};

[[noreturn]] void malformed(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::MalformedPeer, where + ": " + what,
              "build variants with bitbridge::ComVariant, or follow schemas/bitbridge/com.capnp");
}

// The VariantType elements of an array of `vt` hold (Missing and Nothing travel as their VT).
bool elementFits(uint16_t vt, VariantType type) {
  if (vt == kVtVariant) return true;
  if (vt == kVtError && type == VariantType::Missing) return true;
  if ((vt == kVtDispatch || vt == kVtUnknown) && type == VariantType::Nothing) return true;
  if (vt == kVtUnknown && type == VariantType::Object) return true;
  if (vt == kVtRecord) return type == VariantType::Record;
  return type != VariantType::Array && varTypeOf(type) == vt;
}

// Text of a record (names, GUIDs) bounded by kMaxRecordNameLength.
std::string boundedText(capnp::Text::Reader text, const std::string& where,
                        const std::string& what) {
  if (text.size() > kMaxRecordNameLength) {
    malformed(where, what + " of " + std::to_string(text.size()) +
                         " bytes (at most " + std::to_string(kMaxRecordNameLength) + ")");
  }
  return std::string(text.cStr(), text.size());
}

// A record's identity (library, GUID, name), bounded; `named`: a name or a GUID is required.
ComRecord recordIdentity(proto::Record::Reader r, const std::string& where, bool named) {
  ComRecord record;
  record.typeLibrary = boundedText(r.getTypeLibrary(), where, "a record's type library");
  record.guid = boundedText(r.getGuid(), where, "a record's GUID");
  record.name = boundedText(r.getName(), where, "a record's name");
  if (named && record.name.empty() && record.guid.empty()) {
    malformed(where, "a record with neither a name nor a GUID");
  }
  return record;
}

ComRecord recordFromWire(proto::Record::Reader r, const UnwrapComObject& unwrap,
                         const std::string& where, unsigned depth, bool named) {
  ComRecord record = recordIdentity(r, where, named);
  auto fields = r.getFields();
  if (fields.size() > kMaxRecordFields) {
    malformed(where, "record " + record.name + " with " + std::to_string(fields.size()) +
                         " fields (at most " + std::to_string(kMaxRecordFields) + ")");
  }
  record.fields.reserve(fields.size());
  for (auto field : fields) {
    std::string name = boundedText(field.getName(), where, "a field name of " + record.name);
    std::string inner = where + ", record " + record.name + " field " +
                        (name.empty() ? std::to_string(record.fields.size() + 1) : name);
    record.fields.push_back({name, variantFromWire(field.getValue(), unwrap, inner, depth + 1)});
  }
  return record;
}

}  // namespace

proto::InvokeKind wireInvokeKind(InvokeKind kind) {
  switch (kind) {
    case InvokeKind::Method: return proto::InvokeKind::METHOD;
    case InvokeKind::PropertyGet: return proto::InvokeKind::PROPERTY_GET;
    case InvokeKind::PropertyPut: return proto::InvokeKind::PROPERTY_PUT;
    case InvokeKind::PropertyPutRef: return proto::InvokeKind::PROPERTY_PUT_REF;
  }
  return proto::InvokeKind::METHOD;
}

InvokeKind invokeKindFromWire(proto::InvokeKind kind) {
  switch (kind) {
    case proto::InvokeKind::METHOD: return InvokeKind::Method;
    case proto::InvokeKind::PROPERTY_GET: return InvokeKind::PropertyGet;
    case proto::InvokeKind::PROPERTY_PUT: return InvokeKind::PropertyPut;
    case proto::InvokeKind::PROPERTY_PUT_REF: return InvokeKind::PropertyPutRef;
  }
  return InvokeKind::Method;
}

bool sameComName(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

uint16_t varTypeOf(VariantType type) {
  switch (type) {
    case VariantType::Empty: return kVtEmpty;
    case VariantType::Null: return kVtNull;
    case VariantType::I1: return kVtI1;
    case VariantType::I2: return kVtI2;
    case VariantType::I4: return kVtI4;
    case VariantType::I8: return kVtI8;
    case VariantType::UI1: return kVtUi1;
    case VariantType::UI2: return kVtUi2;
    case VariantType::UI4: return kVtUi4;
    case VariantType::UI8: return kVtUi8;
    case VariantType::R4: return kVtR4;
    case VariantType::R8: return kVtR8;
    case VariantType::Currency: return kVtCy;
    case VariantType::Date: return kVtDate;
    case VariantType::Decimal: return kVtDecimal;
    case VariantType::Bool: return kVtBool;
    case VariantType::BStr: return kVtBstr;
    case VariantType::Error: return kVtError;
    case VariantType::Missing: return kVtError;
    case VariantType::Array: return kVtVariant;  // an array's own VT is VT_ARRAY | element
    case VariantType::Object: return kVtDispatch;
    case VariantType::Unknown: return kVtUnknown;
    case VariantType::Nothing: return kVtDispatch;
    case VariantType::Record: return kVtRecord;
  }
  return kVtEmpty;
}

bool elementTypeKnown(uint16_t vt) {
  switch (vt) {
    case kVtI2: case kVtI4: case kVtR4: case kVtR8: case kVtCy: case kVtDate: case kVtBstr:
    case kVtDispatch: case kVtError: case kVtBool: case kVtVariant: case kVtUnknown:
    case kVtDecimal: case kVtI1: case kVtUi1: case kVtUi2: case kVtUi4: case kVtI8: case kVtUi8:
      return true;
    default:
      return false;
  }
}

void variantToWire(const ComVariant& value, proto::Variant::Builder out,
                   const WrapComObject& wrap) {
  switch (value.type()) {
    case VariantType::Empty: out.setEmpty(); return;
    case VariantType::Null: out.setNull(); return;
    case VariantType::I1: out.setI1(static_cast<int8_t>(value.asInt())); return;
    case VariantType::I2: out.setI2(static_cast<int16_t>(value.asInt())); return;
    case VariantType::I4: out.setI4(static_cast<int32_t>(value.asInt())); return;
    case VariantType::I8: out.setI8(value.asInt()); return;
    case VariantType::UI1: out.setUi1(static_cast<uint8_t>(value.asInt())); return;
    case VariantType::UI2: out.setUi2(static_cast<uint16_t>(value.asInt())); return;
    case VariantType::UI4: out.setUi4(static_cast<uint32_t>(value.asInt())); return;
    case VariantType::UI8: out.setUi8(value.asUInt64()); return;
    case VariantType::R4: out.setR4(static_cast<float>(value.asDouble())); return;
    case VariantType::R8: out.setR8(value.asDouble()); return;
    case VariantType::Currency: out.setCurrency(value.currencyScaled()); return;
    case VariantType::Date: out.setDate(value.asDouble()); return;
    case VariantType::Decimal: {
      auto d = out.initDecimal();
      d.setScale(value.decimal().scale);
      d.setNegative(value.decimal().negative);
      d.setHi32(value.decimal().hi32);
      d.setLo64(value.decimal().lo64);
      return;
    }
    case VariantType::Bool: out.setBool(value.asBool()); return;
    case VariantType::BStr: {
      const auto& units = value.bstr();
      auto list = out.initBstr(static_cast<unsigned>(units.size()));
      for (unsigned i = 0; i < units.size(); ++i) list.set(i, static_cast<uint16_t>(units[i]));
      return;
    }
    case VariantType::Error: out.setError(static_cast<int32_t>(value.asInt())); return;
    case VariantType::Missing: out.setMissing(); return;
    case VariantType::Array: {
      const auto& array = value.array();
      auto a = out.initArray();
      a.setElementType(array.elementType);
      auto bounds = a.initBounds(static_cast<unsigned>(array.bounds.size()));
      for (unsigned i = 0; i < array.bounds.size(); ++i) {
        bounds[i].setLower(array.bounds[i].lower);
        bounds[i].setCount(array.bounds[i].count);
      }
      if (array.elementType == kVtRecord) {
        auto type = a.initRecordType();
        type.setTypeLibrary(array.recordType.typeLibrary);
        type.setGuid(array.recordType.guid);
        type.setName(array.recordType.name);
      }
      auto elements = a.initElements(static_cast<unsigned>(array.elements.size()));
      for (unsigned i = 0; i < array.elements.size(); ++i) {
        variantToWire(array.elements[i], elements[i], wrap);
      }
      return;
    }
    case VariantType::Object:
      out.setObject(wrap(value.objectHandle(), true).castAs<proto::Dispatch>());
      return;
    case VariantType::Unknown: out.setUnknown(wrap(value.objectHandle(), false)); return;
    case VariantType::Nothing: out.setNothing(); return;
    case VariantType::Record: {
      const auto& record = value.record();
      auto r = out.initRecord();
      r.setTypeLibrary(record.typeLibrary);
      r.setGuid(record.guid);
      r.setName(record.name);
      auto fields = r.initFields(static_cast<unsigned>(record.fields.size()));
      for (unsigned i = 0; i < record.fields.size(); ++i) {
        fields[i].setName(record.fields[i].name);
        variantToWire(record.fields[i].value, fields[i].initValue(), wrap);
      }
      return;
    }
  }
}

ComVariant variantFromWire(proto::Variant::Reader in, const UnwrapComObject& unwrap,
                           const std::string& where, unsigned depth) {
  if (depth > kMaxVariantDepth) {
    malformed(where, "arrays or records nested deeper than " + std::to_string(kMaxVariantDepth) + " levels");
  }
  switch (in.which()) {
    case proto::Variant::EMPTY: return ComVariant();
    case proto::Variant::NULL_: return ComVariant::null();
    case proto::Variant::I1: return ComVariant::integer(VariantType::I1, in.getI1());
    case proto::Variant::I2: return ComVariant::integer(VariantType::I2, in.getI2());
    case proto::Variant::I4: return ComVariant::integer(VariantType::I4, in.getI4());
    case proto::Variant::I8: return ComVariant::integer(VariantType::I8, in.getI8());
    case proto::Variant::UI1: return ComVariant::integer(VariantType::UI1, in.getUi1());
    case proto::Variant::UI2: return ComVariant::integer(VariantType::UI2, in.getUi2());
    case proto::Variant::UI4: return ComVariant::integer(VariantType::UI4, in.getUi4());
    case proto::Variant::UI8: return ComVariant::unsignedInteger(in.getUi8());
    case proto::Variant::R4: return ComVariant::single(in.getR4());
    case proto::Variant::R8: return ComVariant(in.getR8());
    case proto::Variant::CURRENCY: return ComVariant::currency(in.getCurrency());
    case proto::Variant::DATE: return ComVariant::date(in.getDate());
    case proto::Variant::DECIMAL: {
      auto d = in.getDecimal();
      if (d.getScale() > 28) {
        malformed(where, "a decimal's scale is " + std::to_string(d.getScale()) +
                             ", above 28");
      }
      return ComVariant::decimal({d.getScale(), d.getNegative(), d.getHi32(), d.getLo64()});
    }
    case proto::Variant::BOOL: return ComVariant(in.getBool());
    case proto::Variant::BSTR: {
      auto list = in.getBstr();
      std::u16string units(list.size(), u'\0');
      for (unsigned i = 0; i < list.size(); ++i) units[i] = static_cast<char16_t>(list[i]);
      return ComVariant(std::move(units));
    }
    case proto::Variant::ERROR: return ComVariant::error(in.getError());
    case proto::Variant::MISSING: return ComVariant::missing();
    case proto::Variant::ARRAY: {
      auto a = in.getArray();
      ComSafeArray array;
      array.elementType = a.getElementType();
      if (array.elementType == kVtRecord) {
        array.recordType =
            recordIdentity(a.getRecordType(), where + ", the array's record type", true);
        if (a.getRecordType().getFields().size() != 0) {
          malformed(where, "an array of records whose recordType has fields (it names the "
                           "record only)");
        }
      } else if (!elementTypeKnown(array.elementType)) {
        malformed(where, "a SAFEARRAY of element type " + std::to_string(array.elementType) +
                             ", which is not an automation type");
      }
      auto bounds = a.getBounds();
      if (bounds.size() == 0 || bounds.size() > kMaxSafeArrayRank) {
        malformed(where, "a SAFEARRAY of rank " + std::to_string(bounds.size()) +
                             " (1.." + std::to_string(kMaxSafeArrayRank) + " allowed)");
      }
      uint64_t expected = 1;
      for (auto bound : bounds) {
        // Each count is below 2^32 and the product is checked against the element list (which
        // is below 2^29 entries), so stop as soon as it exceeds that.
        expected *= bound.getCount();
        if (expected > a.getElements().size()) break;
        if (static_cast<int64_t>(bound.getLower()) + bound.getCount() - 1 > INT32_MAX) {
          malformed(where, "a SAFEARRAY bound runs past the largest index (2^31 - 1)");
        }
        array.bounds.push_back({bound.getLower(), bound.getCount()});
      }
      if (expected != a.getElements().size()) {
        malformed(where, "a SAFEARRAY whose bounds hold " +
                             (expected > a.getElements().size() ? std::string("more")
                                                                 : std::to_string(expected)) +
                             " elements but which carries " +
                             std::to_string(a.getElements().size()));
      }
      array.elements.reserve(a.getElements().size());
      unsigned index = 0;
      for (auto element : a.getElements()) {
        // An array of records' elements may leave their identity to its recordType.
        auto value = array.elementType == kVtRecord && element.isRecord()
                         ? ComVariant(recordFromWire(element.getRecord(), unwrap,
                                                     where + ", element " + std::to_string(index),
                                                     depth + 1, false))
                         : variantFromWire(element, unwrap, where, depth + 1);
        if (!elementFits(array.elementType, value.type())) {
          malformed(where, "element " + std::to_string(index) + " of a SAFEARRAY of type " +
                               std::to_string(array.elementType) + " is a " +
                               variantTypeName(value.type()));
        }
        array.elements.push_back(std::move(value));
        ++index;
      }
      return ComVariant(std::move(array));
    }
    case proto::Variant::OBJECT: return ComVariant::object(unwrap(in.getObject(), true), true);
    case proto::Variant::UNKNOWN: return ComVariant::object(unwrap(in.getUnknown(), false), false);
    case proto::Variant::NOTHING: return ComVariant::nothing();
    case proto::Variant::RECORD:
      return ComVariant(recordFromWire(in.getRecord(), unwrap, where, depth, true));
  }
  malformed(where, "a variant of a kind this bitbridge does not know (a newer peer?)");
}

}  // namespace bitbridge
