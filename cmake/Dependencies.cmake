# Third-party dependencies, found as TOOLCHAIN.md describes.

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# isl: an imported SHARED target, linked before LLVM. libLLVM exports Polly's bundled isl;
# if LLVM came first, our isl calls would silently bind to that copy.
pkg_check_modules(ISL REQUIRED isl>=0.25)
find_library(ISL_LIBRARY NAMES isl HINTS ${ISL_LIBRARY_DIRS} REQUIRED)
add_library(isl::isl SHARED IMPORTED)
set_target_properties(isl::isl PROPERTIES IMPORTED_LOCATION "${ISL_LIBRARY}"
                      INTERFACE_INCLUDE_DIRECTORIES "${ISL_INCLUDEDIR}")

# LLVM 19 (and MLIR, which loads it). Shared libraries only.
find_package(MLIR REQUIRED CONFIG HINTS /usr/lib/llvm-19/lib/cmake/mlir)
message(STATUS "LLVM ${LLVM_PACKAGE_VERSION} from ${LLVM_DIR}")
set(CMAKE_INSTALL_RPATH_USE_LINK_PATH ON)

# The auto-scheduler: SQLite for the tuning database, XGBoost's C API for the cost model
# (find_package(xgboost CONFIG) needs the CLI package; the library and header suffice).
find_package(SQLite3 REQUIRED)
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h REQUIRED)
find_library(XGBOOST_LIBRARY NAMES xgboost REQUIRED)
add_library(xgboost::xgboost SHARED IMPORTED)
set_target_properties(xgboost::xgboost PROPERTIES IMPORTED_LOCATION "${XGBOOST_LIBRARY}"
                      INTERFACE_INCLUDE_DIRECTORIES "${XGBOOST_INCLUDE_DIR}")

# CUDA is optional: the CUDA backend compiles with NVRTC loaded through dlopen.
find_package(CUDAToolkit QUIET)
if(CUDAToolkit_FOUND)
  message(STATUS "CUDA toolkit ${CUDAToolkit_VERSION} found")
endif()

if(CINN_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(CINN_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
  find_package(OpenBLAS CONFIG QUIET)
  find_package(dnnl CONFIG QUIET)
endif()
