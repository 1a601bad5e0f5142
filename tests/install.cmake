# make install / cmake --install (cmake/install.cmake): the man pages and the shell completion
# against each tool's --help, and an install into a DESTDIR used from outside the source tree.
dm_cli_test(install_man ${CMAKE_CURRENT_SOURCE_DIR}/cli/install-man.sh LABELS unit TIMEOUT 120)
dm_cli_test(install_completion ${CMAKE_CURRENT_SOURCE_DIR}/cli/install-completion.sh LABELS unit TIMEOUT 120)
dm_cli_test(install_tree ${CMAKE_CURRENT_SOURCE_DIR}/cli/install.sh TIMEOUT 300)
# what the install script needs to know of this build: where each part goes, the compiler, and
# the sanitizer flags a program linking this build's libdm needs too
set(dm_install_env "DM_CMAKE=${CMAKE_COMMAND}" "DM_CC=${CMAKE_C_COMPILER}")
foreach(d BINDIR LIBDIR INCLUDEDIR MANDIR DATADIR DOCDIR)
  list(APPEND dm_install_env "DM_INSTALL_${d}=${CMAKE_INSTALL_FULL_${d}}")
endforeach()
foreach(d BASH ZSH)
  if(IS_ABSOLUTE ${DM_${d}_COMPLETION_DIR})
    list(APPEND dm_install_env "DM_${d}_COMPLETION_DIR=${DM_${d}_COMPLETION_DIR}")
  else()
    list(APPEND dm_install_env "DM_${d}_COMPLETION_DIR=${CMAKE_INSTALL_PREFIX}/${DM_${d}_COMPLETION_DIR}")
  endif()
endforeach()
if(DM_SANITIZE)
  list(APPEND dm_install_env "DM_TEST_SANITIZE_FLAGS=-fsanitize=address,undefined")
else()
  list(APPEND dm_install_env "DM_TEST_SANITIZE_FLAGS=")
endif()
set_property(TEST install_tree APPEND PROPERTY ENVIRONMENT ${dm_install_env})
