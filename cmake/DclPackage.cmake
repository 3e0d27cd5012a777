# SPDX-License-Identifier: Apache-2.0
# Install rules, CMake package (debertacl::debertacl) and pkg-config file.
include(CMakePackageConfigHelpers)
install(TARGETS debertacl EXPORT debertaclTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(NOT BUILD_SHARED_LIBS)
  # A static libdebertacl needs its interface helper targets in the export set.
  install(TARGETS dcl_clblast dcl_cjson EXPORT debertaclTargets)
endif()
install(EXPORT debertaclTargets NAMESPACE debertacl:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/debertacl)
if(BUILD_SHARED_LIBS)
  set(DCL_PACKAGE_STATIC OFF)
else()
  set(DCL_PACKAGE_STATIC ON)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/debertaclConfig.cmake.in
  ${PROJECT_BINARY_DIR}/debertaclConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/debertacl)
# 0.x: a minor version may break the API (as the soname says), so only the same 0.MINOR matches
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(DCL_COMPAT SameMinorVersion)
else()
  set(DCL_COMPAT SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/debertaclConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${DCL_COMPAT})
install(FILES ${PROJECT_BINARY_DIR}/debertaclConfig.cmake ${PROJECT_BINARY_DIR}/debertaclConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/debertacl)

# Relocatable: the prefix is found from the .pc file's own folder (${pcfiledir}), so the
# installed tree may be moved (DESTDIR, a bundle, a package unpacked elsewhere).
set(DCL_PC_DIR ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH DCL_PC_TO_PREFIX ${DCL_PC_DIR} ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" DCL_PC_TO_PREFIX "${DCL_PC_TO_PREFIX}")
set(DCL_PC_PREFIX "\${pcfiledir}/${DCL_PC_TO_PREFIX}")
file(RELATIVE_PATH DCL_PC_LIBDIR ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_LIBDIR})
file(RELATIVE_PATH DCL_PC_INCLUDEDIR ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_INCLUDEDIR})
set(DCL_PC_LIBDIR "\${prefix}/${DCL_PC_LIBDIR}")
set(DCL_PC_INCLUDEDIR "\${prefix}/${DCL_PC_INCLUDEDIR}")
if(PKG_CONFIG_FOUND)
  pkg_check_modules(DCL_PC_CLBLAST QUIET clblast)
endif()
if(DCL_PC_CLBLAST_FOUND)
  set(DCL_PC_REQUIRES_PRIVATE "OpenCL clblast libcjson libutf8proc")
  set(DCL_PC_LIBS_PRIVATE "-lm -pthread")
else()
  set(DCL_PC_REQUIRES_PRIVATE "OpenCL libcjson libutf8proc")
  set(DCL_PC_LIBS_PRIVATE "-lclblast -lm -pthread")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/debertacl.pc.in ${PROJECT_BINARY_DIR}/debertacl.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/debertacl.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/profiles/ DESTINATION ${CMAKE_INSTALL_DATADIR}/debertacl/profiles
  FILES_MATCHING PATTERN "*.json")

# tools/convert_checkpoint.py, named by the loader's pickle errors, goes with the CLI
if(DCL_BUILD_TOOLS)
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/convert_checkpoint.py DESTINATION ${CMAKE_INSTALL_BINDIR}
    RENAME debertacl-convert-checkpoint)
endif()
