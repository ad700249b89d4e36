// Build tool: writes a file's bytes as a C++ string literal of hex escapes
// ("\x3c\x21..." over many lines, which the compiler joins) so web_assets.cc
// can embed it with #include, whatever bytes it holds.
// Usage: embed_bytes INPUT OUTPUT
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: embed_bytes INPUT OUTPUT\n";
    return 2;
  }
  std::ifstream input(argv[1], std::ios::binary);
  if (!input) {
    std::cerr << "embed_bytes: cannot read " << argv[1] << "\n";
    return 1;
  }
  const std::string bytes((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  std::ofstream output(argv[2], std::ios::binary);
  constexpr int kBytesPerLine = 16;
  for (size_t i = 0; i < bytes.size(); ++i) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(bytes[i]));
    if (i % kBytesPerLine == 0) output << (i == 0 ? "\"" : "\"\n\"");
    output << hex;
  }
  output << (bytes.empty() ? "\"\"\n" : "\"\n");
  if (!output) {
    std::cerr << "embed_bytes: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
