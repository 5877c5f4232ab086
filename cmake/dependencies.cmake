# All dependencies come from Debian bookworm packages (scripts/install-deps.sh).
find_package(Boost 1.81 REQUIRED COMPONENTS json url locale)
# Display-name rules (src/room/text_rules): Unicode character properties from ICU's C API;
# Boost.Locale's ICU back end (Debian: libboost-locale1.81-dev, built with ICU) does the NFC.
find_package(ICU REQUIRED COMPONENTS uc)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBJWT REQUIRED IMPORTED_TARGET libjwt)
if(SUDACHI_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

# Asio/Beast are header-only; these definitions keep every translation unit consistent.
add_library(sudachi_asio INTERFACE)
target_link_libraries(sudachi_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(sudachi_asio INTERFACE BOOST_ASIO_NO_DEPRECATED)

# PostgreSQL history back end (src/storage/postgres): the client library only, through its
# pkg-config file (Debian: libpq-dev). The server binaries are a test-time need, found by the
# integration tests themselves.
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)

# Redis state back end (src/storage/redis): hiredis through its pkg-config file (Debian:
# libhiredis-dev, 0.14 on bookworm: no RESP3, no async connect timeout, no SSL). The
# redis-server binary is a test-time need, found by the integration tests themselves.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
