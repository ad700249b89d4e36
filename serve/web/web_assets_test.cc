#include "serve/web/web_assets.h"

#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

namespace bitbrain::serve::web {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  REQUIRE(file);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

TEST_CASE("the chat page is chat.html byte for byte") {
  CHECK(ChatPageHtml() == ReadFile("serve/web/chat.html"));
}

TEST_CASE("client.py gets the public URL in place of its placeholder") {
  const std::string source = ReadFile("serve/web/client.py");
  const std::string placeholder = "@BITBRAIN_PUBLIC_URL@";
  const size_t at = source.find(placeholder);
  REQUIRE(at != std::string::npos);

  const std::string url = "https://bitbrain-x1.sprites.app";
  std::string expected = source;
  expected.replace(at, placeholder.size(), url);
  CHECK(ClientPy(url) == expected);
  CHECK(ClientPy(url + "/") == expected);  // a trailing slash is dropped
}

TEST_CASE("a hostile public URL cannot end client.py's string literal") {
  const std::string client = ClientPy("http://evil\"\\\n/");
  CHECK(client.find("\"http://evil\\x22\\x5c\\x0a\"") != std::string::npos);
  CHECK(client.find("@BITBRAIN_PUBLIC_URL@") == std::string::npos);
}

}  // namespace
}  // namespace bitbrain::serve::web
