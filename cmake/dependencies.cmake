# Finds the third-party libraries. CAF 0.17 (Debian's libcaf-dev) ships neither a CMake config nor
# a pkg-config file, so it is located by hand and wrapped in imported targets.
find_package(Threads REQUIRED)

find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
# CAF's OpenSSL module (Debian: libcaf-openssl0.17, headers in libcaf-dev); needs libssl.
find_library(CAF_OPENSSL_LIBRARY caf_openssl REQUIRED)
find_package(OpenSSL REQUIRED)

add_library(caf::core UNKNOWN IMPORTED)
set_target_properties(caf::core PROPERTIES
  IMPORTED_LOCATION ${CAF_CORE_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${CAF_INCLUDE_DIR}
  INTERFACE_LINK_LIBRARIES Threads::Threads)

add_library(caf::io UNKNOWN IMPORTED)
set_target_properties(caf::io PROPERTIES
  IMPORTED_LOCATION ${CAF_IO_LIBRARY}
  INTERFACE_LINK_LIBRARIES caf::core)

add_library(caf::openssl UNKNOWN IMPORTED)
set_target_properties(caf::openssl PROPERTIES
  IMPORTED_LOCATION ${CAF_OPENSSL_LIBRARY}
  INTERFACE_LINK_LIBRARIES "caf::io;OpenSSL::SSL")

# msgpack-cxx's config is named "msgpack" and its target "msgpackc-cxx" (no namespace).
find_package(msgpack CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(spdlog REQUIRED)
# The HTTP gateway: Boost.Beast/Asio (header-only, Debian's libboost-dev 1.74) and
# prometheus-cpp's core (metric types and the text format; the gateway serves /metrics itself).
find_package(Boost 1.74 REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)

# Abseil's hash maps and b-trees: the shards' key store (memory per key).
find_package(absl CONFIG REQUIRED)
