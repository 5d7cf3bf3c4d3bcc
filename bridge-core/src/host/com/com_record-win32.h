// VT_RECORD (VB6 `Type`s, IDL structs) to and from ComRecord: the host lays a record out as its
// type library declares it (ITypeInfo: each field's offset and type) and reads records the
// object returns or wrote back the same way. Windows hosts.
//
// Why by the type information and not IRecordInfo::GetField/PutField/RecordClear: Wine's
// IRecordInfo copies scalar fields only, and its RecordClear skips nested records and Variant
// fields (and destroys SAFEARRAY fields through the wrong pointer); walking the ITypeInfo
// handles every field kind the same way on Windows and under Wine.
//
// Ownership: a VT_RECORD VARIANT holds its record in CoTaskMem (as IRecordInfo::RecordCreate
// allocates it) and a reference to its IRecordInfo; clearNative() frees it field by field.
// Thread: the apartment thread of the object called.
#pragma once

#include <windows.h>
#include <oaidl.h>

#include <memory>
#include <string>

#include "bitbridge/com.h"
#include "host/com/sta_thread-win32.h"

namespace bitbridge {

/// Where the records of one call are found: the called object's own type library (a VB6 DLL's
/// embedded one, through IDispatch::GetTypeInfo, so registration-free DLLs work), or a
/// registered library of the record's LIBID. Lives for one call, on the apartment thread.
class RecordTypes {
 public:
  /// `object` is borrowed for this one's lifetime; `className` names it in messages.
  RecordTypes(IDispatch* object, std::string className);
  /// Records found in `library` (AddRef'ed here; may be nullptr) instead of an object's:
  /// `className` names where they come from (an event's source) in messages.
  RecordTypes(ITypeLib* library, std::string className);
  ~RecordTypes();
  RecordTypes(const RecordTypes&) = delete;
  RecordTypes& operator=(const RecordTypes&) = delete;

  /// The record's type information (a reference the caller releases). Throws Error
  /// BadConfiguration (malformed identity, not a record) or NotFound (no such library or
  /// record), naming `where` and the record.
  ITypeInfo* find(const ComRecord& record, const std::string& where);

 private:
  ITypeLib* ownLibrary();  // borrowed; nullptr when the object has no type information

  IDispatch* object_;
  std::string className_;
  ITypeLib* own_ = nullptr;
  bool ownLooked_ = false;
};

/// Fills `out` (VariantInit'ed) with a VT_RECORD built from `value`, each field converted to the
/// type the library declares. Throws Error BadConfiguration naming `where`, the record and the
/// field for a wrong field count, name or type; `out` is left empty then.
void recordToNative(const ComRecord& value, VARIANT& out, RecordTypes& types,
                    const std::string& where);

/// Reads a VT_RECORD (or VT_RECORD | VT_BYREF): every field, named, with the record's library,
/// GUID and name. Throws Error Remote for a field type bitbridge does not carry.
ComVariant recordFromNative(const VARIANT& in, const std::shared_ptr<StaThread>& apartment);

/// A SAFEARRAY of records (VT_RECORD elements, FADF_RECORD) built from `array` (elementType 36):
/// the record `array.recordType` names, found through `types`, each element laid out as the
/// library declares it. Throws Error BadConfiguration naming `where` and the element's index for
/// an element of another record type or a field that does not fit, Overloaded when the array
/// cannot be allocated; nothing is left allocated then.
SAFEARRAY* recordArrayToNative(const ComSafeArray& array, RecordTypes& types,
                               const std::string& where);

/// Reads a SAFEARRAY of records: bounds, the record's identity (library, GUID, name) and every
/// element's fields. Throws Error Remote for an array without record information.
ComVariant recordArrayFromNative(SAFEARRAY* array, const std::shared_ptr<StaThread>& apartment);

/// Destroys a SAFEARRAY of records: each element freed field by field through its type
/// information, then the array (see clearNative for why not SafeArrayDestroy alone).
void destroyRecordArray(SAFEARRAY* array);

/// Replaces the record at `data` (of `recordInfo`'s type, owned by someone else: an event's
/// ByRef argument) by `value`: the old fields freed, the new ones written as recordToNative
/// does. Throws Error BadConfiguration naming `where` (the old value is kept then).
void writeRecordInPlace(const ComRecord& value, void* data, IRecordInfo* recordInfo,
                        const std::string& where);

/// VariantClear, except that a VT_RECORD is freed field by field through its type information
/// (see above), then its memory and its IRecordInfo, and a SAFEARRAY of records element by
/// element (destroyRecordArray). For every VARIANT the host owns.
void clearNative(VARIANT& value);

}  // namespace bitbridge
