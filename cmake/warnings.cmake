# Strict warnings for project targets only; third-party headers come in as SYSTEM.
function(coffer_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()
