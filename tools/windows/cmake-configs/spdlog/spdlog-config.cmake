# spdlog for the mingw-w64 triples, header-only on header-only fmt: Debian's /usr/include/spdlog
# (its tweakme.h sets SPDLOG_FMT_EXTERNAL), reached through the symlink <prefix>/include/spdlog.
# Installed into <prefix>/lib/cmake/spdlog by scripts/setup-windows.sh from
# tools/windows/cmake-configs/. Defines the targets of spdlog's own package, spdlog::spdlog and
# spdlog::spdlog_header_only, both header-only here (no SPDLOG_COMPILED_LIB).
include(CMakeFindDependencyMacro)
find_dependency(fmt)
get_filename_component(_bitbridge_spdlog_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET spdlog::spdlog_header_only)
  add_library(spdlog::spdlog_header_only INTERFACE IMPORTED)
  set_target_properties(spdlog::spdlog_header_only PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_bitbridge_spdlog_prefix}/include"
    INTERFACE_COMPILE_DEFINITIONS "SPDLOG_FMT_EXTERNAL"
    INTERFACE_LINK_LIBRARIES fmt::fmt-header-only)
endif()
if(NOT TARGET spdlog::spdlog)
  add_library(spdlog::spdlog INTERFACE IMPORTED)
  set_target_properties(spdlog::spdlog PROPERTIES INTERFACE_LINK_LIBRARIES spdlog::spdlog_header_only)
endif()
unset(_bitbridge_spdlog_prefix)
