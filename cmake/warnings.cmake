# Every project target gets these through sudachi_warnings; third-party headers are SYSTEM.
add_library(sudachi_warnings INTERFACE)
target_compile_options(sudachi_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                  -Wnon-virtual-dtor -Wno-missing-field-initializers)
