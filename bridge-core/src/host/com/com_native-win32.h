// ComVariant to and from real VARIANTs, and the host's hold on a COM object. Windows hosts.
//
// Thread assumption: everything here that touches a VARIANT or a COM pointer runs on the
// object's apartment thread (StaThread); a NativeObject may be destroyed on any thread: it
// hands its Release to the apartment.
#pragma once

#include <windows.h>
#include <oaidl.h>

#include <memory>
#include <string>
#include <vector>

#include <capnp/capability.h>

#include "bitbridge/com.h"
#include "host/com/sta_thread-win32.h"

namespace bitbridge {

/// One reference to a COM object living in `apartment`. Owns the reference it was given.
class NativeObject final : public ComObjectHandle {
 public:
  NativeObject(IUnknown* owned, bool dispatch, std::shared_ptr<StaThread> apartment);
  ~NativeObject() override;
  IUnknown* pointer() const { return pointer_; }
  bool isDispatch() const { return dispatch_; }
  const std::shared_ptr<StaThread>& apartment() const { return apartment_; }

 private:
  IUnknown* pointer_;
  bool dispatch_;  // pointer_ is an IDispatch*
  std::shared_ptr<StaThread> apartment_;
};

/// An object the client passed as an argument, as it arrives (RPC thread): its capability, and
/// the host's own object it stands for once the host has recognised it (DispatchServer's
/// invoke resolves every one before the call runs, or refuses the call).
class PassedObject final : public ComObjectHandle {
 public:
  PassedObject(capnp::Capability::Client capability, std::string where)
      : capability(kj::mv(capability)), where(std::move(where)) {}
  ~PassedObject() noexcept override {}
  capnp::Capability::Client capability;
  std::string where;                     // "argument 1 of Attach", for messages
  std::shared_ptr<NativeObject> target;  // set on the RPC thread before the call is posted
};

class RecordTypes;

/// The bounds of `array`, one per dimension, leftmost first; `total` gets the element count
/// (0 for rank 0). Any thread (reads the descriptor only).
std::vector<ComBound> nativeBounds(SAFEARRAY* array, size_t& total);

/// Fills `out` (VariantInit'ed by the caller, who clears it with clearNative, also after a
/// throw) from `value`. Object values must be NativeObjects of this host or resolved
/// PassedObjects (else BadConfiguration). Records are built from the types `records` finds
/// (com_record-win32.h); without it (elements of an array, values given back to an event) a
/// record is refused. Throws Error BadConfiguration naming `where` when a SAFEARRAY cannot be
/// created or a record does not match its type.
void toNative(const ComVariant& value, VARIANT& out, const std::string& where,
              RecordTypes* records = nullptr);

/// Copies `value` (VT_BYREF followed) into a ComVariant; object references are AddRef'ed into
/// NativeObjects of `apartment`. Throws Error Remote for a type automation does not define.
ComVariant fromNative(const VARIANT& value, const std::shared_ptr<StaThread>& apartment);

}  // namespace bitbridge
