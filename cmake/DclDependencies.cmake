# SPDX-License-Identifier: Apache-2.0
# Dependencies, found the way their Debian packages ship them.
find_package(PkgConfig)

find_package(OpenCL REQUIRED)
# pthreads: the context's locks (host/context.h)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
include(CheckSymbolExists)
set(CMAKE_REQUIRED_INCLUDES ${OpenCL_INCLUDE_DIRS})
set(CMAKE_REQUIRED_DEFINITIONS -DCL_TARGET_OPENCL_VERSION=300)
check_symbol_exists(CL_VERSION_3_0 "CL/cl.h" DCL_HAVE_CL3)
unset(CMAKE_REQUIRED_DEFINITIONS)
unset(CMAKE_REQUIRED_INCLUDES)
if(DCL_HAVE_CL3)
  set(DCL_CL_TARGET_VERSION 300)
else()
  set(DCL_CL_TARGET_VERSION 120)
endif()

# CLBlast: its CMake config (target `clblast`, no version file), pkg-config as the fallback.
add_library(dcl_clblast INTERFACE)
add_library(dcl::clblast ALIAS dcl_clblast)
find_package(CLBlast CONFIG QUIET)
# DCL_*_VIA: how each was found, so that the installed package finds it the same way.
if(TARGET clblast)
  target_link_libraries(dcl_clblast INTERFACE clblast)
  set(DCL_CLBLAST_VIA config)
  message(STATUS "CLBlast: CMake config")
else()
  pkg_check_modules(CLBLAST REQUIRED IMPORTED_TARGET clblast>=1.5)
  target_link_libraries(dcl_clblast INTERFACE PkgConfig::CLBLAST)
  set(DCL_CLBLAST_VIA pkgconfig)
  message(STATUS "CLBlast: pkg-config ${CLBLAST_VERSION}")
endif()

# cJSON: pkg-config (libcjson), else its CMake config variables.
add_library(dcl_cjson INTERFACE)
add_library(dcl::cjson ALIAS dcl_cjson)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(CJSON QUIET IMPORTED_TARGET libcjson)
endif()
if(TARGET PkgConfig::CJSON)
  target_link_libraries(dcl_cjson INTERFACE PkgConfig::CJSON)
  set(DCL_CJSON_VIA pkgconfig)
else()
  set(DCL_CJSON_VIA config)
  find_package(cJSON CONFIG REQUIRED)
  target_include_directories(dcl_cjson INTERFACE ${CJSON_INCLUDE_DIRS})
  target_link_libraries(dcl_cjson INTERFACE ${CJSON_LIBRARIES})
endif()

# Extra libraries that modules add (tokenizer: Unicode and regular expressions).
set(DCL_EXTRA_LIBS "")
# DCL-DEPS tokenizer
# utf8proc: Unicode categories, NFC and case mapping of the tokenizers (Debian libutf8proc-dev).
# Linked by its library path (not an imported or interface target) so that a static install's
# export set needs nothing more.
pkg_check_modules(UTF8PROC REQUIRED libutf8proc)
if(UTF8PROC_INCLUDE_DIRS)
  include_directories(SYSTEM ${UTF8PROC_INCLUDE_DIRS})
endif()
find_library(DCL_UTF8PROC_LIBRARY NAMES ${UTF8PROC_LIBRARIES} HINTS ${UTF8PROC_LIBRARY_DIRS} REQUIRED)
list(APPEND DCL_EXTRA_LIBS ${DCL_UTF8PROC_LIBRARY})
# DCL-DEPS-END tokenizer
