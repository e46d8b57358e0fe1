# Per-target warnings and sanitizers: nothing here touches global flags.
# -Wno-missing-field-initializers: options structs are meant to be filled with designated
# initializers naming only the fields that differ from their in-class defaults.
function(shine_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                                         -Wno-missing-field-initializers>)
endfunction()

function(shine_set_sanitizers target)
  if(SHINE_BUILD_FUZZERS)
    # Coverage instrumentation for libFuzzer and the sanitizers on every target; the fuzzers
    # themselves link with -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                                             -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  elseif(SHINE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  elseif(SHINE_TSAN)
    # -O1 keeps the reports' stacks readable at a moderate slowdown.
    target_compile_options(${target} PRIVATE -fsanitize=thread -g -O1)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
endfunction()

function(shine_configure_target target)
  shine_set_warnings(${target})
  shine_set_sanitizers(${target})
endfunction()
