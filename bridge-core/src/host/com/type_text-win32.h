// Text of COM type information for messages and the wire: GUIDs as "{XXXXXXXX-...}" and the
// names of types and members. Windows hosts; no apartment needed (ITypeInfo reads only).
#pragma once

#include <windows.h>
#include <oaidl.h>

#include <string>

namespace bitbridge {

/// "{6D1F7A40-3C1E-4A8B-9B51-1F0C2B7E9A01}" (upper case, as StringFromGUID2 writes it).
std::string guidText(REFGUID guid);

/// The name of the type (`member` MEMBERID_NIL) or of a member of `info`; "" when it has none
/// or `info` is null.
std::string typeInfoName(ITypeInfo* info, MEMBERID member = MEMBERID_NIL);

}  // namespace bitbridge
