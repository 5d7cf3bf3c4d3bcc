// libffi's scalar types for the C types of a bound library (c_binding_plan.h CKind), shared by
// calls into the library (c_binding_call.cpp) and closures it calls back (c_callbacks.cpp).
// Host side, both bitnesses; stateless.
#pragma once

#include <ffi.h>

#include "host/bind/c_binding_plan.h"

namespace bitbridge::cbind {

inline ffi_type* scalarFfiType(CKind kind) {
  switch (kind) {
    case CKind::Void: return &ffi_type_void;
    case CKind::Bool: return sizeof(bool) == 1 ? &ffi_type_uint8 : &ffi_type_uint32;
    case CKind::I8: return &ffi_type_sint8;
    case CKind::U8: return &ffi_type_uint8;
    case CKind::I16: return &ffi_type_sint16;
    case CKind::U16: return &ffi_type_uint16;
    case CKind::I32: return &ffi_type_sint32;
    case CKind::U32: return &ffi_type_uint32;
    case CKind::I64: return &ffi_type_sint64;
    case CKind::U64: return &ffi_type_uint64;
    case CKind::F32: return &ffi_type_float;
    case CKind::F64: return &ffi_type_double;
    case CKind::Pointer: return &ffi_type_pointer;
  }
  return &ffi_type_void;
}

/// The calling convention of a function or function pointer: stdcall exists on 32-bit x86 only
/// (Windows, and GCC's __attribute__((stdcall)) on i386 Linux); x86-64 has one convention per
/// OS, so $stdcall is accepted there and means the default.
inline ffi_abi ffiAbi(bool stdcall) {
#if defined(__i386__)
  if (stdcall) return FFI_STDCALL;
#endif
  (void)stdcall;
  return FFI_DEFAULT_ABI;
}

}  // namespace bitbridge::cbind
