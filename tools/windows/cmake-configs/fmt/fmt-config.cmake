# fmt for the mingw-w64 triples, header-only (FMT_HEADER_ONLY): Debian's /usr/include/fmt,
# reached through the symlink <prefix>/include/fmt. Installed into <prefix>/lib/cmake/fmt by
# scripts/setup-windows.sh from tools/windows/cmake-configs/. Defines the targets of fmt's own
# package, fmt::fmt and fmt::fmt-header-only, both header-only here.
get_filename_component(_bitbridge_fmt_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET fmt::fmt-header-only)
  add_library(fmt::fmt-header-only INTERFACE IMPORTED)
  set_target_properties(fmt::fmt-header-only PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_bitbridge_fmt_prefix}/include"
    INTERFACE_COMPILE_DEFINITIONS "FMT_HEADER_ONLY=1")
endif()
if(NOT TARGET fmt::fmt)
  add_library(fmt::fmt INTERFACE IMPORTED)
  set_target_properties(fmt::fmt PROPERTIES INTERFACE_LINK_LIBRARIES fmt::fmt-header-only)
endif()
unset(_bitbridge_fmt_prefix)
