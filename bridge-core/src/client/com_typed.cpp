// Early binding (ComObject::typed, bitbridge/com.h): an object seen through the interface that
// `bitbridge import-typelib` wrote for its dispatch interface. A local Cap'n Proto server of
// that interface turns each typed call into the late-bound Dispatch.invoke the host already
// serves (one mechanism: the host needs no schema), by the $Com annotations of
// schemas/bitbridge/com.capnp: the member's COM name and kind, each parameter's VARTYPE where the
// schema type does not say it, ByRef parameters read back from the answer's byRef list; a struct
// of a record (VB6 Type) goes as Variant.record of its COM name, and comes back field by field;
// a List of them (VB6's `pts() As Point`) as an array of records from index 0.
// Portable. Thread: the Host's (the server runs on its event loop).
#include <capnp/dynamic.h>
#include <capnp/schema.h>

#include <functional>

#include "bitbridge/com.capnp.h"
#include "bitbridge/com.h"
#include "bitbridge/error.h"
#include "client/com_client_object.h"
#include "client/com_typed_wire.h"
#include "common/com_variant_wire.h"

namespace bitbridge {
namespace {

using namespace com_schema;

uint16_t vtOf(capnp::StructSchema::Field field) {
  KJ_IF_MAYBE(value, annotation(field.getProto().getAnnotations(), kVt)) {
    return value->getUint16();
  }
  return 0;
}

std::string comName(capnp::InterfaceSchema::Method method) {
  return comNameOr(method.getProto().getAnnotations(), method.getProto().getName());
}

proto::InvokeKind kindOf(capnp::InterfaceSchema::Method method) {
  auto list = method.getProto().getAnnotations();
  if (has(list, kPropget)) return proto::InvokeKind::PROPERTY_GET;
  if (has(list, kPropput)) return proto::InvokeKind::PROPERTY_PUT;
  if (has(list, kPropputref)) return proto::InvokeKind::PROPERTY_PUT_REF;
  return proto::InvokeKind::METHOD;
}

bool isStruct(capnp::Type type, uint64_t id) {
  return type.isStruct() && type.asStruct().getProto().getId() == id;
}

const uint64_t kVariantId = capnp::typeId<proto::Variant>();
const uint64_t kDecimalId = capnp::typeId<proto::Decimal>();
const uint64_t kDispatchId = capnp::typeId<proto::Dispatch>();

// The COM name of a record (a struct import-typelib wrote for a library's record) and of a field.
std::string comName(capnp::StructSchema record) {
  return comNameOr(record.getProto().getAnnotations(), record.getShortDisplayName());
}
std::string comName(capnp::StructSchema::Field field) {
  return comNameOr(field.getProto().getAnnotations(), field.getProto().getName());
}

void paramToWire(capnp::StructSchema::Field field, capnp::DynamicStruct::Reader params,
                 proto::Variant::Builder out, const CopyVariant& copy, const std::string& where);

// A struct of a record (VB6 Type) as Variant.record: its COM name and every field in the
// schema's order (the library's), each named; the library is the called object's own.
void recordToWire(capnp::StructSchema schema, capnp::DynamicStruct::Reader value,
                  proto::Variant::Builder out, const std::string& where) {
  auto record = out.initRecord();
  std::string name = comName(schema);
  record.setName(name);
  auto fields = schema.getFields();
  auto wire = record.initFields(fields.size());
  for (unsigned i = 0; i < fields.size(); ++i) {
    std::string fieldName = comName(fields[i]);
    auto slot = wire[i];
    slot.setName(fieldName);
    paramToWire(fields[i], value, slot.initValue(),
                [slot](proto::Variant::Reader given) mutable { slot.setValue(given); },
                where + ", record " + name + " field " + fieldName);
  }
}

// One parameter of a typed call (or a field of a record) as the Variant Dispatch.invoke carries.
void paramToWire(capnp::StructSchema::Field field, capnp::DynamicStruct::Reader params,
                 proto::Variant::Builder out, const CopyVariant& copy, const std::string& where) {
  capnp::Type type = field.getType();
  bool set = params.has(field);
  if (has(field.getProto().getAnnotations(), kOptional) && !set &&
      (type.isStruct() || type.isText() || type.isInterface())) {
    out.setMissing();  // [optional], left out
    return;
  }
  auto value = params.get(field);
  uint16_t vt = vtOf(field);
  switch (type.which()) {
    case capnp::schema::Type::BOOL: out.setBool(value.as<bool>()); return;
    case capnp::schema::Type::INT8: out.setI1(value.as<int8_t>()); return;
    case capnp::schema::Type::INT16: out.setI2(value.as<int16_t>()); return;
    case capnp::schema::Type::INT32:
      if (vt == kVtError) {
        out.setError(value.as<int32_t>());
      } else {
        out.setI4(value.as<int32_t>());
      }
      return;
    case capnp::schema::Type::INT64:
      if (vt == kVtCurrency) {
        out.setCurrency(value.as<int64_t>());
      } else {
        out.setI8(value.as<int64_t>());
      }
      return;
    case capnp::schema::Type::UINT8: out.setUi1(value.as<uint8_t>()); return;
    case capnp::schema::Type::UINT16: out.setUi2(value.as<uint16_t>()); return;
    case capnp::schema::Type::UINT32: out.setUi4(value.as<uint32_t>()); return;
    case capnp::schema::Type::UINT64: out.setUi8(value.as<uint64_t>()); return;
    case capnp::schema::Type::FLOAT32: out.setR4(value.as<float>()); return;
    case capnp::schema::Type::FLOAT64:
      if (vt == kVtDate) {
        out.setDate(value.as<double>());
      } else {
        out.setR8(value.as<double>());
      }
      return;
    case capnp::schema::Type::TEXT: {
      WrapComObject none;  // text holds no object
      variantToWire(ComVariant(std::string(value.as<capnp::Text>().cStr())), out, none);
      return;
    }
    case capnp::schema::Type::ENUM: {
      auto e = value.as<capnp::DynamicEnum>();
      int32_t number = e.getRaw();
      KJ_IF_MAYBE(enumerant, e.getEnumerant()) {
        KJ_IF_MAYBE(v, annotation(enumerant->getProto().getAnnotations(), kValue)) {
          number = v->getInt32();
        }
      }
      out.setI4(number);
      return;
    }
    case capnp::schema::Type::STRUCT: {
      auto reader = value.as<capnp::DynamicStruct>();
      if (isStruct(type, kVariantId)) {
        // As given: the host checks it like any Variant from a client.
        copy(reader.as<proto::Variant>());
        return;
      }
      if (isStruct(type, kDecimalId)) {
        auto d = reader.as<proto::Decimal>();
        auto o = out.initDecimal();
        o.setScale(d.getScale());
        o.setNegative(d.getNegative());
        o.setHi32(d.getHi32());
        o.setLo64(d.getLo64());
        return;
      }
      recordToWire(type.asStruct(), reader, out, where);
      return;
    }
    case capnp::schema::Type::LIST: {
      // List(struct of a record): VB6's `pts() As Point`, an array of records from index 0.
      auto element = type.asList().getElementType();
      if (!element.isStruct() || isStruct(element, kVariantId) || isStruct(element, kDecimalId)) {
        break;
      }
      auto list = value.as<capnp::DynamicList>();
      auto array = out.initArray();
      array.setElementType(kVtRecord);
      array.initRecordType().setName(comName(element.asStruct()));
      auto bound = array.initBounds(1)[0];
      bound.setLower(0);
      bound.setCount(list.size());
      auto elements = array.initElements(list.size());
      for (unsigned i = 0; i < list.size(); ++i) {
        recordToWire(element.asStruct(), list[i].as<capnp::DynamicStruct>(), elements[i],
                     where + ", element " + std::to_string(i));
      }
      return;
    }
    case capnp::schema::Type::INTERFACE:
      if (!set) {
        out.setNothing();
      } else {
        out.setObject(capnp::Capability::Client(value.as<capnp::DynamicCapability>())
                          .castAs<proto::Dispatch>());
      }
      return;
    default: break;
  }
  throw Error(ErrorKind::BadConfiguration,
              where + ": its schema type cannot be passed to a COM member",
              "use the schema bitbridge import-typelib wrote, unchanged");
}

// `answerTimeoutMs`: sent with each call, for objects of the client among its arguments.
capnp::Capability::Client typedObject(capnp::InterfaceSchema schema, proto::Dispatch::Client object,
                                      uint32_t answerTimeoutMs);

void resultFromWire(capnp::StructSchema::Field field, proto::Variant::Reader value,
                    capnp::DynamicStruct::Builder results, const std::string& where,
                    uint32_t answerTimeoutMs);

// A record into the struct that stands for it: each field of the struct from the record's
// field of its COM name.
void recordFromWire(capnp::StructSchema schema, proto::Record::Reader record,
                    capnp::DynamicStruct::Builder out, const std::string& where,
                    uint32_t answerTimeoutMs) {
  std::string name = comName(schema);
  for (auto member : schema.getFields()) {
    std::string fieldName = comName(member);
    bool found = false;
    for (auto wire : record.getFields()) {
      if (sameComName(std::string(wire.getName().cStr()), fieldName)) {
        resultFromWire(member, wire.getValue(), out,
                       where + ", record " + name + " field " + fieldName, answerTimeoutMs);
        found = true;
        break;
      }
    }
    if (!found) {
      throw Error(ErrorKind::Remote, where + ": record " + std::string(record.getName().cStr()) +
                                         " has no field " + fieldName,
                  "import the type library again (its records changed?)");
    }
  }
}

// A result (or ByRef value) of a typed call into its results field.
void resultFromWire(capnp::StructSchema::Field field, proto::Variant::Reader value,
                    capnp::DynamicStruct::Builder results, const std::string& where,
                    uint32_t answerTimeoutMs) {
  capnp::Type type = field.getType();
  if (isStruct(type, kVariantId)) {
    results.set(field, capnp::toDynamic(value));
    return;
  }
  if (type.isStruct() && !isStruct(type, kDecimalId)) {
    std::string name = comName(type.asStruct());
    if (!value.isRecord()) {
      throw Error(ErrorKind::Remote,
                  where + ": the member answered something else than record " + name);
    }
    recordFromWire(type.asStruct(), value.getRecord(),
                   results.init(field).as<capnp::DynamicStruct>(), where, answerTimeoutMs);
    return;
  }
  if (type.isList() && type.asList().getElementType().isStruct()) {
    // List(struct of a record): a one-dimensional array of records, in index order (its lower
    // bound is not kept: the schema has no place for it).
    auto schema = type.asList().getElementType().asStruct();
    std::string name = comName(schema);
    if (!value.isArray() || value.getArray().getElementType() != kVtRecord ||
        value.getArray().getBounds().size() > 1) {
      throw Error(ErrorKind::Remote, where + ": the member answered something else than a "
                                             "one-dimensional array of records " + name);
    }
    auto elements = value.getArray().getElements();
    auto list = results.init(field, elements.size()).as<capnp::DynamicList>();
    for (unsigned i = 0; i < elements.size(); ++i) {
      if (!elements[i].isRecord()) {
        throw Error(ErrorKind::Remote, where + ": element " + std::to_string(i) +
                                           " of the array of records " + name + " is not a record");
      }
      recordFromWire(schema, elements[i].getRecord(), list[i].as<capnp::DynamicStruct>(),
                     where + ", element " + std::to_string(i), answerTimeoutMs);
    }
    return;
  }
  if (type.isInterface()) {
    if (!value.isObject()) return;  // Nothing (or a bare IUnknown): left null
    if (type.asInterface().getProto().getId() == kDispatchId) {
      results.set(field, value.getObject());
    } else {
      results.set(field, typedObject(type.asInterface(), value.getObject(), answerTimeoutMs)
                             .castAs<capnp::DynamicCapability>(type.asInterface()));
    }
    return;
  }
  UnwrapComObject refuse = [&where](capnp::Capability::Client, bool) -> std::shared_ptr<ComObjectHandle> {
    throw Error(ErrorKind::MalformedPeer, where + ": an object where the schema has a value");
  };
  ComVariant v = variantFromWire(value, refuse, where);
  try {
    switch (type.which()) {
      case capnp::schema::Type::BOOL: results.set(field, v.asBool()); return;
      case capnp::schema::Type::INT8:
      case capnp::schema::Type::INT16:
      case capnp::schema::Type::INT32:
      case capnp::schema::Type::INT64:
        results.set(field, v.asInt());
        return;
      case capnp::schema::Type::UINT8:
      case capnp::schema::Type::UINT16:
      case capnp::schema::Type::UINT32:
      case capnp::schema::Type::UINT64:
        results.set(field, v.asUInt64());
        return;
      case capnp::schema::Type::FLOAT32:
      case capnp::schema::Type::FLOAT64:
        results.set(field, v.asDouble());
        return;
      case capnp::schema::Type::TEXT: results.set(field, v.text().c_str()); return;
      case capnp::schema::Type::ENUM: {
        auto schema = type.asEnum();
        int64_t number = v.asInt();
        for (auto enumerant : schema.getEnumerants()) {
          KJ_IF_MAYBE(n, annotation(enumerant.getProto().getAnnotations(), kValue)) {
            if (n->getInt32() == number) {
              results.set(field, capnp::DynamicEnum(enumerant));
              return;
            }
          }
        }
        throw Error(ErrorKind::Remote, where + ": " + std::to_string(number) +
                                           " is none of enum " +
                                           std::string(schema.getShortDisplayName().cStr()) +
                                           "'s values");
      }
      case capnp::schema::Type::STRUCT:
        if (isStruct(type, kDecimalId)) {
          const ComDecimal& d = v.decimal();
          auto out = results.init(field).as<capnp::DynamicStruct>().as<proto::Decimal>();
          out.setScale(d.scale);
          out.setNegative(d.negative);
          out.setHi32(d.hi32);
          out.setLo64(d.lo64);
          return;
        }
        break;
      default: break;
    }
  } catch (const kj::Exception&) {
    // A capnp range check (a value too wide for its field): said as what it is.
    throw Error(ErrorKind::Remote, where + ": the member answered " + v.describe() +
                                       ", which does not fit the schema's type");
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::BadConfiguration) throw;
    // A ComVariant reader refused the type (a BSTR for an Int32...): the member's doing.
    throw Error(ErrorKind::Remote, where + ": the member answered " + v.describe() +
                                       ", which is not of the schema's type");
  }
  throw Error(ErrorKind::BadConfiguration, where + ": its schema type cannot hold a COM value",
              "use the schema bitbridge import-typelib wrote, unchanged");
}

class TypedDispatchServer final : public capnp::DynamicCapability::Server {
 public:
  TypedDispatchServer(capnp::InterfaceSchema schema, proto::Dispatch::Client object,
                      uint32_t answerTimeoutMs)
      : capnp::DynamicCapability::Server(schema), object_(kj::mv(object)),
        answerTimeoutMs_(answerTimeoutMs) {}

  kj::Promise<void> call(capnp::InterfaceSchema::Method method,
                         capnp::CallContext<capnp::DynamicStruct, capnp::DynamicStruct> context)
      override {
    std::string member = comName(method);
    auto params = context.getParams();
    auto fields = params.getSchema().getFields();
    auto request = object_.invokeRequest();
    request.setName(member);
    request.setKind(kindOf(method));
    request.setAnswerTimeoutMs(answerTimeoutMs_);
    try {
      auto args = request.initArgs(fields.size());
      for (unsigned i = 0; i < fields.size(); ++i) {
        paramToWire(fields[i], params, args[i],
                    [args, i](proto::Variant::Reader given) mutable {
                      args.setWithCaveats(i, given);
                    },
                    "parameter " + std::string(fields[i].getProto().getName().cStr()) + " of " +
                        member);
      }
    } catch (const Error& error) {
      throwAsKj(error);
    }
    // Where each ByRef result field's value is in the answer: its parameter's position.
    std::vector<std::pair<capnp::StructSchema::Field, int>> outputs;
    auto resultFields = method.getResultType().getFields();
    for (auto field : resultFields) {
      int position = -1;
      if (has(field.getProto().getAnnotations(), kByRef)) {
        KJ_IF_MAYBE(param, params.getSchema().findFieldByName(field.getProto().getName())) {
          position = static_cast<int>(param->getIndex());
        }
      }
      outputs.emplace_back(field, position);
    }
    return request.send().then([context, outputs, member, timeout = answerTimeoutMs_](
                                   capnp::Response<proto::Dispatch::InvokeResults>&& response) mutable {
      auto results = context.getResults();
      auto byRef = response.getByRef();
      try {
        for (auto& output : outputs) {
          std::string where = std::string(output.first.getProto().getName().cStr()) + " of " + member;
          if (output.second < 0) {
            resultFromWire(output.first, response.getResult(), results, "the result " + where,
                           timeout);
          } else if (static_cast<unsigned>(output.second) < byRef.size()) {
            resultFromWire(output.first, byRef[output.second], results, "by-reference " + where,
                           timeout);
          }
        }
      } catch (const Error& error) {
        throwAsKj(error);
      }
    });
  }

 private:
  proto::Dispatch::Client object_;
  uint32_t answerTimeoutMs_;  // HostOptions::comAnswerTimeout, for objects of the client
};

capnp::Capability::Client typedObject(capnp::InterfaceSchema schema, proto::Dispatch::Client object,
                                      uint32_t answerTimeoutMs) {
  return kj::heap<TypedDispatchServer>(schema, kj::mv(object), answerTimeoutMs);
}

}  // namespace

void typedParamToWire(capnp::StructSchema::Field field, capnp::DynamicStruct::Reader params,
                      proto::Variant::Builder out, const CopyVariant& copy,
                      const std::string& where) {
  paramToWire(field, params, out, copy, where);
}

void typedResultFromWire(capnp::StructSchema::Field field, proto::Variant::Reader value,
                         capnp::DynamicStruct::Builder results, const std::string& where,
                         uint32_t answerTimeoutMs) {
  resultFromWire(field, value, results, where, answerTimeoutMs);
}

capnp::Capability::Client ComObject::typed(capnp::InterfaceSchema schema) const {
  if (!has(schema.getProto().getAnnotations(), kIid)) {
    throw Error(ErrorKind::BadConfiguration,
                std::string("interface ") + schema.getShortDisplayName().cStr() +
                    " is not one bitbridge import-typelib wrote (it has no $Com.iid)",
                "generate the schema with bitbridge import-typelib from the class's type library");
  }
  return typedObject(schema, capability().castAs<proto::Dispatch>(), wireAnswerTimeout(*host_));
}

}  // namespace bitbridge
