# cmake -DIN=FILE -DOUT=FILE.cc -P embed.cmake: writes OUT defining
# ipledger::api::OpenapiYaml() as the bytes of IN (api/server/internal/openapi_yaml.h).
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by api/server/embed.cmake; do not edit.\n"
  "#include \"api/server/internal/openapi_yaml.h\"\n"
  "namespace ipledger::api {\n"
  "namespace { constexpr char kBytes[] = {${bytes} 0}; }\n"
  "std::string_view OpenapiYaml() { return {kBytes, sizeof(kBytes) - 1}; }\n"
  "}  // namespace ipledger::api\n")
file(RENAME "${OUT}.tmp" "${OUT}")
