# What `make install` / `cmake --install` put where (GNUInstallDirs, under CMAKE_INSTALL_PREFIX;
# DESTDIR is honoured):
#   bin/                            the tools (every tools/<tool>/ but common/)
#   lib/<multiarch>/                libdm.a, libdm.so.X.Y with its libdm.so link, pkgconfig/dm.pc
#   include/dm/                     the public headers
#   share/man/man1, man7            tools/<tool>/<tool>.1 and docs/dm.7, the version filled in
#   share/bash-completion/completions/<tool>, share/zsh/.../_<tool>
#                                   generated from each built tool's --help (cmake/completion.sh)
#   share/dm/                       the platform content the tools read (flavours/, components/,
#                                   k8s/, helm-charts/) with the marker .dm-platform: DM_SHARE_DIR
#   share/doc/dm/                   README.md, LICENSE
# Set CMAKE_INSTALL_PREFIX when configuring, not at `cmake --install --prefix`: the tools are
# built with the share folder's full path (DM_SHARE_DIR, cmake/libdm.cmake).
# Included by the top-level CMakeLists.txt after the tools; DM_TOOL_DIRS lists their folders.

# the tools: each folder of tools/ that made an executable of its name
set(DM_TOOLS "")
foreach(f ${DM_TOOL_DIRS})
  get_filename_component(d ${f} DIRECTORY)
  get_filename_component(tool ${d} NAME)
  if(TARGET ${tool})
    get_target_property(kind ${tool} TYPE)
    if(kind STREQUAL "EXECUTABLE")
      list(APPEND DM_TOOLS ${tool})
    endif()
  endif()
endforeach()
install(TARGETS ${DM_TOOLS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# libdm shared as well as static: the same objects, built position-independent.  The tools link
# the static one (no run-time path to set, and dm's image copies only the tools).
set_target_properties(dm PROPERTIES POSITION_INDEPENDENT_CODE ON)
add_library(dm_shared SHARED $<TARGET_OBJECTS:dm>)
get_target_property(dm_links dm LINK_LIBRARIES)
target_link_libraries(dm_shared PRIVATE ${dm_links})
# 0.x: the ABI may change with each minor release, so the soname carries both numbers
set_target_properties(dm_shared PROPERTIES OUTPUT_NAME dm VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
install(TARGETS dm dm_shared
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/dm DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

# dm.pc: paths relative to ${prefix} where GNUInstallDirs gave relative ones
foreach(v LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE ${CMAKE_INSTALL_${v}})
    set(DM_PC_${v} ${CMAKE_INSTALL_${v}})
  else()
    set(DM_PC_${v} "\${prefix}/${CMAKE_INSTALL_${v}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/dm.pc.in ${PROJECT_BINARY_DIR}/dm.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# man pages: one source each, beside its tool; the overview dm(7) in docs/
set(DM_MAN_PAGES ${PROJECT_SOURCE_DIR}/docs/dm.7)
foreach(tool ${DM_TOOLS})
  set(page ${PROJECT_SOURCE_DIR}/tools/${tool}/${tool}.1)
  if(NOT EXISTS ${page})
    message(FATAL_ERROR "${tool} has no man page: write tools/${tool}/${tool}.1")
  endif()
  list(APPEND DM_MAN_PAGES ${page})
endforeach()
foreach(page ${DM_MAN_PAGES})
  get_filename_component(name ${page} NAME)
  string(REGEX REPLACE ".*\\." "" section ${name})
  configure_file(${page} ${PROJECT_BINARY_DIR}/man/man${section}/${name} @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/man/man${section}/${name}
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()

# shell completion, written from each tool's --help once it is built
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(zsh_default ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions) # Debian's place for packages
else()
  set(zsh_default ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()
set(DM_ZSH_COMPLETION_DIR ${zsh_default} CACHE STRING "where zsh completion goes (relative: under the prefix)")
set(DM_BASH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  CACHE STRING "where bash completion goes (relative: under the prefix)")
set(completions "")
foreach(tool ${DM_TOOLS})
  set(b ${PROJECT_BINARY_DIR}/completion/bash/${tool})
  set(z ${PROJECT_BINARY_DIR}/completion/zsh/_${tool})
  add_custom_command(OUTPUT ${b} ${z}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/completion/bash
            ${PROJECT_BINARY_DIR}/completion/zsh
    COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/completion.sh $<TARGET_FILE:${tool}> ${b} ${z}
    DEPENDS ${tool} ${PROJECT_SOURCE_DIR}/cmake/completion.sh
    COMMENT "Shell completion for ${tool} from its --help")
  list(APPEND completions ${b} ${z})
  install(FILES ${b} DESTINATION ${DM_BASH_COMPLETION_DIR})
  install(FILES ${z} DESTINATION ${DM_ZSH_COMPLETION_DIR})
endforeach()
add_custom_target(dm_completion ALL DEPENDS ${completions})

# the platform content, where the tools look last (DM_SHARE_DIR); the marker says it is a root
install(DIRECTORY ${PROJECT_SOURCE_DIR}/flavours ${PROJECT_SOURCE_DIR}/components
  ${PROJECT_SOURCE_DIR}/k8s ${PROJECT_SOURCE_DIR}/helm-charts
  DESTINATION ${CMAKE_INSTALL_DATADIR}/dm USE_SOURCE_PERMISSIONS)
if(EXISTS ${PROJECT_SOURCE_DIR}/.dm-platform)
  install(FILES ${PROJECT_SOURCE_DIR}/.dm-platform DESTINATION ${CMAKE_INSTALL_DATADIR}/dm)
else()
  file(WRITE ${PROJECT_BINARY_DIR}/dm-platform "")
  install(FILES ${PROJECT_BINARY_DIR}/dm-platform DESTINATION ${CMAKE_INSTALL_DATADIR}/dm
    RENAME .dm-platform)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# `make deb`: one Debian package of the tree above (configured with CMAKE_INSTALL_PREFIX=/usr);
# its Depends come from the libraries the binaries link (dpkg-shlibdeps)
set(CPACK_PACKAGE_NAME dm)
set(CPACK_PACKAGE_VENDOR "dm")
set(CPACK_PACKAGE_CONTACT "dm maintainers <dm@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Data-Mill's data plane: S3 seeding, Kubernetes Secrets, a flavour's components with Helm")
set(CPACK_PACKAGE_DESCRIPTION "dm-seed uploads a folder into S3 buckets, checksummed, incremental and \
in parallel; dm-secrets reads a Secret from the Kubernetes API for the next tool; dm-helm installs \
the components of a Data-Mill flavour with Helm in dependency order; dm-cluster drives minikube, \
microk8s or a remote cluster; dm-gpu checks a node for GPU notebook images.  With libdm (shared \
and static, headers, dm.pc) and the platform's flavours and components in /usr/share/dm.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# not linked, so dpkg-shlibdeps cannot see them: dm-seed's Content-Type by extension reads
# /etc/mime.types (else a small built-in table), and https endpoints need the CA certificates
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "media-types, ca-certificates")
# dm-helm runs helm and kubectl, dm-cluster minikube or microk8s: none of them is in Debian 12
# but kubectl (kubernetes-client); dm-cluster runs docker-registry for a target's registry mirror
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubernetes-client, docker-registry")
include(CPack)
