# ccache makes re-builds on 2-core CI machines bearable; it is optional.
find_program(SUDACHI_CCACHE ccache)
if(SUDACHI_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER ${SUDACHI_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${SUDACHI_CCACHE})
endif()
