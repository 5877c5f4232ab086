# Fails unless every file of EXAMPLES appears, whole and verbatim, in DOC.
file(READ "${DOC}" doc)
foreach(example IN LISTS EXAMPLES)
  file(READ "${example}" text)
  string(FIND "${doc}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${DOC} does not show ${example} as it is: update the page")
  endif()
endforeach()
