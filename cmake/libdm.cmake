# libdm, defined once: the top-level build and the fuzz build (tests/fuzz/CMakeLists.txt, a
# project of its own built with clang) both call dm_add_libdm.
#   dm_add_libdm(NAME ROOT)  a static library NAME of every .c below ROOT/libdm (one per module,
#                            private headers beside them), with dm's public headers and the
#                            Debian libraries it links: libcurl, libxml2, libyaml, jansson,
#                            OpenSSL, OpenMP and threads
include(GNUInstallDirs)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(XML2 REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
find_package(OpenSSL REQUIRED)
find_package(OpenMP REQUIRED)
find_package(Threads REQUIRED)

function(dm_add_libdm name root)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${root}/libdm/*.c)
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${root}/include PRIVATE ${root}/libdm)
  target_link_libraries(${name} PUBLIC PkgConfig::CURL PkgConfig::XML2 PkgConfig::YAML PkgConfig::JANSSON
    OpenSSL::Crypto OpenSSL::SSL OpenMP::OpenMP_C Threads::Threads ${CMAKE_DL_LIBS})
  # the platform content (flavours/, components/, k8s/) that `make install` puts in the share
  # folder, where dm_platform_root looks last
  target_compile_definitions(${name} PRIVATE DM_SHARE_DIR="${CMAKE_INSTALL_FULL_DATADIR}/dm")
  # md5x.c interleaves two to four MD5s step by step in plain C, for the core's ALUs; the
  # compiler's vectorizer turned those loops into SIMD that ran at a third of the speed
  set_source_files_properties(${root}/libdm/md5x.c
    PROPERTIES COMPILE_OPTIONS "-fno-tree-vectorize;-fno-tree-slp-vectorize")
endfunction()
