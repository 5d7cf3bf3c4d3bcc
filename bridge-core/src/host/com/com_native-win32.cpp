#include "host/com/com_native-win32.h"

#include <oleauto.h>

#include <cstring>
#include <vector>

#include "bitbridge/error.h"
#include "common/com_variant_wire.h"
#include "common/platform/com_errors-win32.h"
#include "host/com/com_record-win32.h"

namespace bitbridge {

NativeObject::NativeObject(IUnknown* owned, bool dispatch, std::shared_ptr<StaThread> apartment)
    : pointer_(owned), dispatch_(dispatch), apartment_(std::move(apartment)) {}

NativeObject::~NativeObject() {
  // COM rules: an apartment object is released in its apartment.
  if (pointer_ != nullptr) apartment_->post([p = pointer_] { p->Release(); });
}

namespace {

// Bytes of one element of a SAFEARRAY of `vt` (what SafeArrayCreate allocates per element).
size_t elementSize(VARTYPE vt) {
  switch (vt) {
    case VT_I1: case VT_UI1: return 1;
    case VT_I2: case VT_UI2: case VT_BOOL: return 2;
    case VT_I4: case VT_UI4: case VT_R4: case VT_ERROR: return 4;
    case VT_I8: case VT_UI8: case VT_R8: case VT_CY: case VT_DATE: return 8;
    case VT_BSTR: case VT_DISPATCH: case VT_UNKNOWN: return sizeof(void*);
    case VT_DECIMAL: return sizeof(DECIMAL);
    case VT_VARIANT: return sizeof(VARIANT);
    default: return 0;
  }
}

// The data of VARIANT `v` starts at its union, for every type but DECIMAL, which overlays the
// whole VARIANT (its first 2 bytes are the VARIANT's vt).
void* payload(VARIANT& v) { return &V_I8(&v); }

SAFEARRAY* toNativeArray(const ComSafeArray& array, const std::string& where) {
  std::vector<SAFEARRAYBOUND> bounds;
  for (const auto& bound : array.bounds) bounds.push_back({bound.count, bound.lower});
  SAFEARRAY* native = ::SafeArrayCreate(array.elementType, static_cast<UINT>(bounds.size()),
                                        bounds.data());
  if (native == nullptr) {
    throw Error(ErrorKind::BadConfiguration,
                where + ": cannot create a SAFEARRAY of " + std::to_string(array.elements.size()) +
                    " elements of type " + std::to_string(array.elementType),
                "pass a smaller array");
  }
  void* data = nullptr;
  ::SafeArrayAccessData(native, &data);
  size_t size = elementSize(array.elementType);
  auto* bytes = static_cast<unsigned char*>(data);
  try {
    for (size_t i = 0; i < array.elements.size(); ++i) {
      VARIANT element;
      ::VariantInit(&element);
      toNative(array.elements[i], element, where);  // ownership of its data moves to the slot
      void* slot = bytes + i * size;
      if (array.elementType == VT_VARIANT) {
        std::memcpy(slot, &element, sizeof(VARIANT));
      } else if (array.elementType == VT_DECIMAL) {
        DECIMAL value = V_DECIMAL(&element);
        value.wReserved = 0;
        std::memcpy(slot, &value, sizeof(DECIMAL));
      } else {
        std::memcpy(slot, payload(element), size);
      }
    }
  } catch (...) {
    ::SafeArrayUnaccessData(native);
    ::SafeArrayDestroy(native);
    throw;
  }
  ::SafeArrayUnaccessData(native);
  return native;
}

ComVariant fromNativeArray(SAFEARRAY* native, VARTYPE elementType,
                           const std::shared_ptr<StaThread>& apartment) {
  if (elementType == VT_RECORD) return recordArrayFromNative(native, apartment);
  ComSafeArray array;
  array.elementType = elementType;
  size_t total = 0;
  array.bounds = nativeBounds(native, total);
  size_t size = elementSize(elementType);
  if (size == 0 || ::SafeArrayGetElemsize(native) != size) {
    throw Error(ErrorKind::Remote,
                "the object returned a SAFEARRAY of element type " + std::to_string(elementType) +
                    " that bitbridge cannot carry",
                "return automation types (Long, String, Variant...)");
  }
  void* data = nullptr;
  ::SafeArrayAccessData(native, &data);
  auto* bytes = static_cast<unsigned char*>(data);
  try {
    for (size_t i = 0; i < total; ++i) {
      void* slot = bytes + i * size;
      if (elementType == VT_VARIANT) {
        array.elements.push_back(fromNative(*static_cast<VARIANT*>(slot), apartment));
        continue;
      }
      VARIANT element;  // borrowed view of the slot: not cleared
      ::VariantInit(&element);
      if (elementType == VT_DECIMAL) {
        std::memcpy(&V_DECIMAL(&element), slot, sizeof(DECIMAL));
      } else {
        std::memcpy(payload(element), slot, size);
      }
      V_VT(&element) = elementType;
      array.elements.push_back(fromNative(element, apartment));
    }
  } catch (...) {
    ::SafeArrayUnaccessData(native);
    throw;
  }
  ::SafeArrayUnaccessData(native);
  return ComVariant(std::move(array));
}

}  // namespace

std::vector<ComBound> nativeBounds(SAFEARRAY* native, size_t& total) {
  std::vector<ComBound> bounds;
  UINT rank = ::SafeArrayGetDim(native);
  total = rank == 0 ? 0 : 1;
  for (UINT dim = 1; dim <= rank; ++dim) {
    LONG lower = 0, upper = -1;
    ::SafeArrayGetLBound(native, dim, &lower);
    ::SafeArrayGetUBound(native, dim, &upper);
    auto count = static_cast<uint32_t>(upper - lower + 1);
    bounds.push_back({static_cast<int32_t>(lower), count});
    total *= count;
  }
  return bounds;
}

void toNative(const ComVariant& value, VARIANT& out, const std::string& where,
              RecordTypes* records) {
  switch (value.type()) {
    case VariantType::Empty: V_VT(&out) = VT_EMPTY; return;
    case VariantType::Null: V_VT(&out) = VT_NULL; return;
    case VariantType::I1: V_VT(&out) = VT_I1; V_I1(&out) = static_cast<CHAR>(value.asInt()); return;
    case VariantType::I2: V_VT(&out) = VT_I2; V_I2(&out) = static_cast<SHORT>(value.asInt()); return;
    case VariantType::I4: V_VT(&out) = VT_I4; V_I4(&out) = static_cast<LONG>(value.asInt()); return;
    case VariantType::I8: V_VT(&out) = VT_I8; V_I8(&out) = value.asInt(); return;
    case VariantType::UI1: V_VT(&out) = VT_UI1; V_UI1(&out) = static_cast<BYTE>(value.asInt()); return;
    case VariantType::UI2: V_VT(&out) = VT_UI2; V_UI2(&out) = static_cast<USHORT>(value.asInt()); return;
    case VariantType::UI4: V_VT(&out) = VT_UI4; V_UI4(&out) = static_cast<ULONG>(value.asInt()); return;
    case VariantType::UI8: V_VT(&out) = VT_UI8; V_UI8(&out) = value.asUInt64(); return;
    case VariantType::R4: V_VT(&out) = VT_R4; V_R4(&out) = static_cast<FLOAT>(value.asDouble()); return;
    case VariantType::R8: V_VT(&out) = VT_R8; V_R8(&out) = value.asDouble(); return;
    case VariantType::Currency: V_VT(&out) = VT_CY; V_CY(&out).int64 = value.currencyScaled(); return;
    case VariantType::Date: V_VT(&out) = VT_DATE; V_DATE(&out) = value.asDouble(); return;
    case VariantType::Decimal: {
      DECIMAL d{};
      d.scale = value.decimal().scale;
      d.sign = value.decimal().negative ? DECIMAL_NEG : 0;
      d.Hi32 = value.decimal().hi32;
      d.Lo64 = value.decimal().lo64;
      V_DECIMAL(&out) = d;
      V_VT(&out) = VT_DECIMAL;  // after: DECIMAL overlays vt
      return;
    }
    case VariantType::Bool:
      V_VT(&out) = VT_BOOL;
      V_BOOL(&out) = value.asBool() ? VARIANT_TRUE : VARIANT_FALSE;
      return;
    case VariantType::BStr: {
      const auto& units = value.bstr();
      BSTR text = ::SysAllocStringLen(reinterpret_cast<const OLECHAR*>(units.data()),
                                      static_cast<UINT>(units.size()));
      if (text == nullptr && !units.empty()) {
        throw Error(ErrorKind::Overloaded, where + ": out of memory for a string",
                    "pass shorter strings");
      }
      V_VT(&out) = VT_BSTR;
      V_BSTR(&out) = text;
      return;
    }
    case VariantType::Error: V_VT(&out) = VT_ERROR; V_ERROR(&out) = static_cast<SCODE>(value.asInt()); return;
    case VariantType::Missing: V_VT(&out) = VT_ERROR; V_ERROR(&out) = DISP_E_PARAMNOTFOUND; return;
    case VariantType::Array: {
      if (value.array().elementType == VT_RECORD) {
        if (records == nullptr) {
          throw Error(ErrorKind::BadConfiguration,
                      where + ": an array of records " + value.array().recordType.name +
                          " where bitbridge carries none (inside an array, or given back to an "
                          "event)",
                      "pass arrays of records as arguments, property values or fields of "
                      "records");
        }
        V_ARRAY(&out) = recordArrayToNative(value.array(), *records, where);
        V_VT(&out) = VT_ARRAY | VT_RECORD;
        return;
      }
      V_ARRAY(&out) = toNativeArray(value.array(), where);
      V_VT(&out) = static_cast<VARTYPE>(VT_ARRAY | value.array().elementType);
      return;
    }
    case VariantType::Object:
    case VariantType::Unknown: {
      auto* object = dynamic_cast<NativeObject*>(value.objectHandle().get());
      if (auto* passed = dynamic_cast<PassedObject*>(value.objectHandle().get())) {
        object = passed->target.get();
      }
      if (object == nullptr) {
        throw Error(ErrorKind::BadConfiguration,
                    where + ": an object that is not one of this host's COM objects",
                    "pass objects this host returned");
      }
      object->pointer()->AddRef();
      if (object->isDispatch()) {
        V_VT(&out) = VT_DISPATCH;
        V_DISPATCH(&out) = static_cast<IDispatch*>(object->pointer());
      } else {
        V_VT(&out) = VT_UNKNOWN;
        V_UNKNOWN(&out) = object->pointer();
      }
      return;
    }
    case VariantType::Nothing: V_VT(&out) = VT_DISPATCH; V_DISPATCH(&out) = nullptr; return;
    case VariantType::Record:
      if (records == nullptr) {
        throw Error(ErrorKind::BadConfiguration,
                    where + ": record " + value.record().name +
                        " where bitbridge carries none (inside an array, or given back to an "
                        "event)",
                    "pass records as arguments, property values or fields of records");
      }
      recordToNative(value.record(), out, *records, where);
      return;
  }
}

ComVariant fromNative(const VARIANT& in, const std::shared_ptr<StaThread>& apartment) {
  VARTYPE vt = V_VT(&in);
  if (vt == (VT_BYREF | VT_VARIANT)) return fromNative(*V_VARIANTREF(&in), apartment);
  // A record by reference is laid out as one by value (pvRecord, pRecInfo).
  if ((vt & ~VT_BYREF) == VT_RECORD) return recordFromNative(in, apartment);
  if ((vt & VT_BYREF) != 0) {
    // A reference to a value of type vt & ~VT_BYREF: read it through a borrowed copy.
    VARTYPE base = vt & ~VT_BYREF;
    VARIANT copy;
    ::VariantInit(&copy);
    void* target = V_BYREF(&in);
    if ((base & VT_ARRAY) != 0) {
      V_ARRAY(&copy) = *static_cast<SAFEARRAY**>(target);
    } else if (base == VT_DECIMAL) {
      V_DECIMAL(&copy) = *static_cast<DECIMAL*>(target);
    } else {
      size_t size = elementSize(base);
      if (size == 0 || target == nullptr) {
        throw Error(ErrorKind::Remote,
                    "the object returned a reference to variant type " + std::to_string(base) +
                        ", which bitbridge cannot carry",
                    "return automation types");
      }
      std::memcpy(payload(copy), target, size);
    }
    V_VT(&copy) = base;
    return fromNative(copy, apartment);
  }
  if ((vt & VT_ARRAY) != 0) {
    if (V_ARRAY(&in) == nullptr) return ComVariant();
    return fromNativeArray(V_ARRAY(&in), vt & VT_TYPEMASK, apartment);
  }
  switch (vt) {
    case VT_EMPTY: return ComVariant();
    case VT_NULL: return ComVariant::null();
    case VT_I1: return ComVariant::integer(VariantType::I1, V_I1(&in));
    case VT_I2: return ComVariant::integer(VariantType::I2, V_I2(&in));
    case VT_I4: case VT_INT: return ComVariant::integer(VariantType::I4, V_I4(&in));
    case VT_I8: return ComVariant::integer(VariantType::I8, V_I8(&in));
    case VT_UI1: return ComVariant::integer(VariantType::UI1, V_UI1(&in));
    case VT_UI2: return ComVariant::integer(VariantType::UI2, V_UI2(&in));
    case VT_UI4: case VT_UINT: return ComVariant::integer(VariantType::UI4, V_UI4(&in));
    case VT_UI8: return ComVariant::unsignedInteger(V_UI8(&in));
    case VT_R4: return ComVariant::single(V_R4(&in));
    case VT_R8: return ComVariant(V_R8(&in));
    case VT_CY: return ComVariant::currency(V_CY(&in).int64);
    case VT_DATE: return ComVariant::date(V_DATE(&in));
    case VT_DECIMAL: {
      const DECIMAL& d = V_DECIMAL(&in);
      return ComVariant::decimal({d.scale, (d.sign & DECIMAL_NEG) != 0,
                                  static_cast<uint32_t>(d.Hi32), d.Lo64});
    }
    case VT_BOOL: return ComVariant(V_BOOL(&in) != VARIANT_FALSE);
    case VT_BSTR: {
      BSTR text = V_BSTR(&in);
      UINT length = text == nullptr ? 0 : ::SysStringLen(text);
      return ComVariant(std::u16string(reinterpret_cast<const char16_t*>(text), length));
    }
    case VT_ERROR:
      if (V_ERROR(&in) == DISP_E_PARAMNOTFOUND) return ComVariant::missing();
      return ComVariant::error(V_ERROR(&in));
    case VT_DISPATCH:
    case VT_UNKNOWN: {
      IUnknown* pointer = V_UNKNOWN(&in);
      if (pointer == nullptr) return ComVariant::nothing();
      // Prefer IDispatch: an IUnknown that has it is callable (a _NewEnum is not).
      IDispatch* dispatch = nullptr;
      if (vt == VT_DISPATCH) {
        dispatch = V_DISPATCH(&in);
        dispatch->AddRef();
      } else if (FAILED(pointer->QueryInterface(IID_IDispatch, reinterpret_cast<void**>(&dispatch)))) {
        dispatch = nullptr;
      }
      if (dispatch != nullptr) {
        return ComVariant::object(std::make_shared<NativeObject>(dispatch, true, apartment), true);
      }
      pointer->AddRef();
      return ComVariant::object(std::make_shared<NativeObject>(pointer, false, apartment), false);
    }
    default:
      throw Error(ErrorKind::Remote,
                  "the object returned variant type " + std::to_string(vt) +
                      ", which is not an automation type bitbridge carries",
                  "return automation types (Long, String, Variant, arrays of them...)");
  }
}

}  // namespace bitbridge
