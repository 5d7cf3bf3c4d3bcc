# In-process COM servers (ActiveX DLLs, VB6 classes) served by a host of their bitness and
# called by late binding: a generic capability over IDispatch, with VARIANT carried as a union.
# Host.createComObject (host.capnp) creates the object; the client API is bitbridge/com.h.
#
# Cross-bitness ABI rule: fixed-width types only. A VARIANT's layout differs by bitness (16 or
# 24 bytes, pointers inside); nothing of it crosses: each side converts to and from this union.
@0xd4c1a7e2b93f5a61;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("bitbridge::proto");

struct Variant {
  union {
    empty @0 :Void;            # VT_EMPTY
    null @1 :Void;             # VT_NULL
    i1 @2 :Int8;               # VT_I1
    i2 @3 :Int16;              # VT_I2 (VB6 Integer)
    i4 @4 :Int32;              # VT_I4 (VB6 Long)
    i8 @5 :Int64;              # VT_I8
    ui1 @6 :UInt8;             # VT_UI1 (VB6 Byte)
    ui2 @7 :UInt16;            # VT_UI2
    ui4 @8 :UInt32;            # VT_UI4
    ui8 @9 :UInt64;            # VT_UI8
    r4 @10 :Float32;           # VT_R4 (VB6 Single)
    r8 @11 :Float64;           # VT_R8 (VB6 Double)
    currency @12 :Int64;       # VT_CY: the value times 10,000 (CY.int64)
    date @13 :Float64;         # VT_DATE: OLE automation date (days since 1899-12-30)
    decimal @14 :Decimal;      # VT_DECIMAL
    bool @15 :Bool;            # VT_BOOL (VARIANT_TRUE is -1 on the COM side)
    bstr @16 :List(UInt16);    # VT_BSTR: UTF-16 code units exactly, embedded NULs included
    error @17 :Int32;          # VT_ERROR with this SCODE
    missing @18 :Void;         # VT_ERROR DISP_E_PARAMNOTFOUND: an optional argument left out
    array @19 :SafeArray;      # VT_ARRAY | element type
    object @20 :Dispatch;      # VT_DISPATCH: an object of the host, callable in turn; from the
                               # client, one of the host's or one of its own (Dispatch.invoke)
    unknown @21 :Capability;   # VT_UNKNOWN without IDispatch: held, not callable (yet)
    nothing @22 :Void;         # VT_DISPATCH null (VB6 Nothing)
    record @23 :Record;        # VT_RECORD: a VB6 Type (user-defined type), by value
  }
}

# A record (VB6 `Type`, IDL struct) of a type library: which one, and its fields' values. The
# host lays it out as the library declares it (IRecordInfo from the library's ITypeInfo);
# nothing of its memory crosses.
struct Record {
  typeLibrary @0 :Text;        # "{LIBID} major.minor" of the library declaring it, as the
                               # $typeLibrary annotation below; "" = the called object's library
  guid @1 :Text;               # "{GUID}" of the record; "" = found by `name`
  name @2 :Text;               # its name in the library (the Type's name)
  fields @3 :List(RecordField); # every field, in the order the library declares them
}

struct RecordField {
  name @0 :Text;               # the field's name: "" from a client = by position (else checked,
                               # case-insensitive as VB); the host always names them
  value @1 :Variant;           # a nested record is a Variant.record, a dynamic array a
                               # Variant.array, a Variant field any Variant
}

struct Decimal {
  scale @0 :UInt8;             # power of ten dividing the 96-bit integer, 0..28
  negative @1 :Bool;
  hi32 @2 :UInt32;             # high 32 bits of the 96-bit magnitude
  lo64 @3 :UInt64;             # low 64 bits
}

struct SafeArray {
  elementType @0 :UInt16;      # VARTYPE of the elements (VT_I4 = 3, VT_BSTR = 8, VT_VARIANT = 12...)
  bounds @1 :List(Bound);      # one per dimension, leftmost (first VB6 index) first
  elements @2 :List(Variant);  # column-major (the first index varies fastest), as SafeArray
                               # stores them; count = product of the bounds' counts
  recordType @3 :Record;       # elementType 36 (VT_RECORD, VB6's `Points() As Point`): the
                               # elements' record (library, GUID, name; no fields); each element
                               # is a Variant.record of it (its own library/GUID/name may be "")
}

struct Bound {
  lower @0 :Int32;
  count @1 :UInt32;
}

enum InvokeKind {
  method @0;                   # DISPATCH_METHOD (with DISPATCH_PROPERTYGET, as VB does)
  propertyGet @1;              # DISPATCH_PROPERTYGET
  propertyPut @2;              # DISPATCH_PROPERTYPUT: the last argument is the value
  propertyPutRef @3;           # DISPATCH_PROPERTYPUTREF
}

struct NamedArg {
  name @0 :Text;
  value @1 :Variant;
}

interface Dispatch {
  # Calls member `name` ("" = the default member, DISPID_VALUE) with positional `args` (first
  # argument first) and `namedArgs`. `byRef` lists, in positional order, the values the member
  # wrote back into arguments it takes by reference (one entry per positional argument; a value
  # passed by reference keeps its type). Errors (EXCEPINFO, DISP_E_*) come back as exceptions
  # whose description names the class, member, source and HRESULT (bitbridge::Error, Remote).
  # An object argument is either one of the host's own (a capability it made: the COM object
  # itself is passed) or an object of the client (any other Dispatch capability): the host passes
  # a stand-in IDispatch that forwards GetIDsOfNames/Invoke to it (its getIdsOfNames and invoke),
  # during the call and after it, for as long as the COM object keeps it, waiting at most
  # `answerTimeoutMs` for each answer (0: no limit; past it the COM caller gets RPC_E_TIMEOUT;
  # once the client is gone, RPC_E_DISCONNECTED).
  invoke @0 (name :Text, kind :InvokeKind, args :List(Variant), namedArgs :List(NamedArg),
             answerTimeoutMs :UInt32)
         -> (result :Variant, byRef :List(Variant));

  # The DISPIDs of `names` (a member, then parameter names), as IDispatch::GetIDsOfNames.
  getIdsOfNames @1 (names :List(Text)) -> (ids :List(Int32));

  # Enumerates the object (its _NewEnum, DISPID_NEWENUM, then IEnumVARIANT::Next): every item,
  # at most `limit` of them (0: no limit).
  enumerate @2 (limit :UInt32) -> (items :List(Variant));

  # The class's name (ITypeInfo's, or the ProgID/CLSID it was created from), for messages.
  className @3 () -> (name :Text);

  # Connects `sink` to the object's connection point for event interface `interfaceId`
  # ("{IID}"; "" = the class's default source interface, from IProvideClassInfo or its type
  # library). Every event the object fires is delivered to `sink`, in order, while the
  # connection lives: unadvise() or dropping `connection` (a client that disconnects drops it)
  # unadvises. `interfaceId`/`interfaceName` in the results name the interface connected.
  # `answerTimeoutMs`: how long the object's apartment waits for the sink to answer one event
  # (0: no limit); past it the source's call to the sink fails with RPC_E_TIMEOUT.
  advise @4 (sink :EventSink, interfaceId :Text, answerTimeoutMs :UInt32)
         -> (connection :EventConnection, interfaceId :Text, interfaceName :Text);
}

interface EventSink {
  # One event (IDispatch::Invoke on the host's sink), with its positional arguments, first
  # first. The host's apartment waits for the answer: `byRef` (one entry per argument, or
  # empty) is written back into the arguments the source passed by reference (VB6's
  # `Cancel As Boolean`); other entries are ignored. An exception is logged by the host and
  # the source's call to the sink fails with DISP_E_EXCEPTION, its description the exception's
  # (as a VB6 client's error in an event procedure reaches the RaiseEvent); a sink that is gone
  # fails it with RPC_E_DISCONNECTED, one that does not answer in time with RPC_E_TIMEOUT.
  event @0 (dispid :Int32, name :Text, args :List(Variant)) -> (byRef :List(Variant));
}

interface EventConnection {
  # Unadvises now (returns once the object has let go of the sink); dropping the capability
  # does the same, later. Idempotent.
  unadvise @0 ();
}

# Early binding: annotations of the schemas `bitbridge import-typelib` writes from a type
# library. Each generated interface stands for a dispatch interface of the library, with what
# a call through Dispatch.invoke above needs (one mechanism: the host needs no schema): the
# member's COM name, DISPID and kind, each parameter's COM type where the schema type does not
# say it. ComObject::as<I>() (bitbridge/com.h) makes those calls from a generated interface; a
# record is a generated struct ($name on the struct and its fields), sent as Variant.record.
annotation iid @0xb7c1e0a4d2f35e61 (interface) :Text;        # "{IID}" of the dispatch interface
annotation typeLibrary @0xb7c1e0a4d2f35e62 (file) :Text;     # "{LIBID} major.minor" written from
annotation dispid @0xb7c1e0a4d2f35e63 (method) :Int32;       # the member's DISPID
annotation name @0xb7c1e0a4d2f35e64 (method, field, param, enumerant, struct, enum, interface) :Text;
                                                             # the COM name, where it differs
annotation propget @0xb7c1e0a4d2f35e65 (method) :Void;       # DISPATCH_PROPERTYGET
annotation propput @0xb7c1e0a4d2f35e66 (method) :Void;       # DISPATCH_PROPERTYPUT: last param is the value
annotation propputref @0xb7c1e0a4d2f35e67 (method) :Void;    # DISPATCH_PROPERTYPUTREF
annotation byRef @0xb7c1e0a4d2f35e68 (param) :Void;          # an [in, out] parameter: also in the results
annotation optional @0xb7c1e0a4d2f35e69 (param) :Void;       # [optional]: left out when not set
annotation vt @0xb7c1e0a4d2f35e6a (field, param) :UInt16;    # the VARTYPE where the schema type does
                                                             # not say it (CY, DATE, ERROR)
annotation value @0xb7c1e0a4d2f35e6b (enumerant) :Int32;     # the COM enum's value of this enumerant
