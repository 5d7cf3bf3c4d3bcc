// Exports the entry point but claims a future ABI version: the host must refuse it by name.
#include <bitbridge/component.h>

extern "C" BITBRIDGE_COMPONENT_EXPORT const bitbridge::ComponentTable* bitbridge_component_v1() {
  static const bitbridge::ComponentTable table{999, CAPNP_VERSION, 0, nullptr};
  return &table;
}
