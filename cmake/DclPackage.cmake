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
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/debertaclConfig.cmake.in
  ${PROJECT_BINARY_DIR}/debertaclConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/debertacl)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/debertaclConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/debertaclConfig.cmake ${PROJECT_BINARY_DIR}/debertaclConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/debertacl)

if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(DCL_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(DCL_PC_LIBDIR "\${exec_prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(DCL_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(DCL_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/debertacl.pc.in ${PROJECT_BINARY_DIR}/debertacl.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/debertacl.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/profiles/ DESTINATION ${CMAKE_INSTALL_DATADIR}/debertacl/profiles
  FILES_MATCHING PATTERN "*.json")
