# Writes a .cc file that defines `std::string_view coffer::api::<FUNCTION>()`
# returning the bytes of INPUT. A byte array rather than a string literal: no
# escaping, and no compiler limit on literal length (the KMS model is ~90 KB).
#   cmake -DINPUT=<file> -DOUTPUT=<file.cc> -DFUNCTION=<name> -DHEADER=<include> -P embed_file.cmake
foreach(var INPUT OUTPUT FUNCTION HEADER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: ${var} is not set")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR byte_len "${hex_len} / 2")
# CMake regexes have no {n}: spell out 16 bytes (32 hex digits) per line.
string(REPEAT "[0-9a-f]" 32 line_of_hex)
string(REGEX REPLACE "(${line_of_hex})" "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")

file(WRITE "${OUTPUT}.tmp"
"// Generated at build time by src/api/embed_file.cmake from\n"
"// ${INPUT}. Do not edit.\n"
"#include \"${HEADER}\"\n\n"
"namespace coffer::api {\n"
"namespace {\n\n"
"constexpr unsigned char kData[${byte_len}] = {\n${bytes}\n};\n\n"
"}  // namespace\n\n"
"std::string_view ${FUNCTION}() {\n"
"  return {reinterpret_cast<const char*>(kData), sizeof(kData)};\n"
"}\n\n"
"}  // namespace coffer::api\n")
# Only touch OUTPUT when the content changed, so unrelated rebuilds stay quick.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
