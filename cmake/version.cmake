# --version of every tool (tools/common/options.c): the release and, in a build from a git
# checkout, `git describe` at configure time.  Included by the main build and by dm-gpu's
# standalone build, so both say the same.  Needs DM_ROOT (the source tree's top).
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${DM_ROOT}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${DM_ROOT} describe --always --dirty
                  OUTPUT_VARIABLE DM_GIT_DESCRIBE OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(DM_GIT_DESCRIBE)
  set_source_files_properties(${DM_ROOT}/tools/common/options.c PROPERTIES
    COMPILE_DEFINITIONS "DM_GIT_DESCRIBE=\"${DM_GIT_DESCRIBE}\"")
endif()
