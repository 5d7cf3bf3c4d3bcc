# Compiler cache (ccache) for every compile of a platform build, when ccache is installed.
#
# Why: CI builds bitbridge five times per run (two Linux bitnesses, the same again with
# sanitizers, the clang fuzz tree, two Windows bitnesses); on a machine that ran CI before, most
# of those compiles are unchanged and come from the cache. scripts/setup.sh installs ccache.
#
# CCACHE_BASEDIR is the source tree (the build directories live inside it), so the cache is
# shared between clones and worktrees at different paths; CCACHE_NOHASHDIR lets debug info
# from another clone be reused (its DW_AT_comp_dir then names that clone; harmless for builds
# that are tested and thrown away). The cache itself is ccache's default (~/.cache/ccache,
# its own size limit); BITBRIDGE_CCACHE=OFF or CCACHE_DISABLE=1 turns it off. A launcher the
# user set (CMAKE_<LANG>_COMPILER_LAUNCHER) is kept. The option is declared in CMakeLists.txt.
if(NOT BITBRIDGE_CCACHE)
  return()
endif()
find_program(BITBRIDGE_CCACHE_PROGRAM ccache)
if(NOT BITBRIDGE_CCACHE_PROGRAM)
  return()
endif()
foreach(lang C CXX)
  if(NOT CMAKE_${lang}_COMPILER_LAUNCHER)
    set(CMAKE_${lang}_COMPILER_LAUNCHER
        "${CMAKE_COMMAND}" -E env "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}" CCACHE_NOHASHDIR=1
        "${BITBRIDGE_CCACHE_PROGRAM}")
  endif()
endforeach()
