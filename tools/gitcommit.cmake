# gitcommit.cmake: writes OUT, a C file defining ic_git_commit, the commit the build is made from
# (short hash, "-dirty" when tracked files differ from it; "unknown" outside a git checkout).
# Run at every build (CMakeLists.txt, target ic_gitcommit), not only when CMake configures, so a
# binary built after a pull or a commit never names the commit of an older configure; the file
# is rewritten only when its text changes, so an unchanged commit recompiles nothing.
#   cmake -DSRC=<source dir> -DOUT=<file> [-DGIT=<git>] -P gitcommit.cmake
set(commit "unknown")
if(GIT AND EXISTS "${SRC}/.git")
  execute_process(COMMAND "${GIT}" rev-parse --short=12 HEAD WORKING_DIRECTORY "${SRC}"
                  OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                  RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND head)
    set(commit "${head}")
    execute_process(COMMAND "${GIT}" status --porcelain --untracked-files=no
                    WORKING_DIRECTORY "${SRC}" OUTPUT_VARIABLE dirty
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(dirty)
      string(APPEND commit "-dirty")
    endif()
  endif()
endif()
set(text "/* Generated at build time by tools/gitcommit.cmake. */\n#include \"sim/core/version.h\"\n\nconst char ic_git_commit[] = \"${commit}\";\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
