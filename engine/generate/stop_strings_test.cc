#include "engine/generate/stop_strings.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace bitbrain::generate {
namespace {

// All the text passed on for `pieces`, and whether it stopped.
std::pair<std::string, bool> Run(std::vector<std::string> stops,
                                 const std::vector<std::string>& pieces) {
  StopStrings filter(std::move(stops));
  std::string out;
  for (const std::string& piece : pieces) out += filter.Push(piece);
  out += filter.Finish();
  return {out, filter.stopped()};
}

TEST_CASE("text without stop strings passes through") {
  CHECK(Run({}, {"Hello", ", ", "world"}) == std::pair<std::string, bool>{"Hello, world", false});
  CHECK(Run({""}, {"a", "b"}) == std::pair<std::string, bool>{"ab", false});
}

TEST_CASE("a stop string split across pieces never leaks") {
  StopStrings filter({"\nUser:"});
  CHECK(filter.Push("Fine.\n") == "Fine.");
  CHECK(filter.Push("Us") == "");
  CHECK(filter.Push("er: more") == "");
  CHECK(filter.stopped());
  CHECK(filter.Push("later") == "");
  CHECK(filter.Finish() == "");
}

TEST_CASE("a held prefix that does not become a stop string is released") {
  StopStrings filter({"END"});
  CHECK(filter.Push("the E") == "the ");
  CHECK(filter.Push("N") == "");
  CHECK(filter.Push("D") == "");
  CHECK(filter.stopped());
  CHECK(Run({"END"}, {"the EN", "d"}) == std::pair<std::string, bool>{"the ENd", false});
  CHECK(Run({"END"}, {"EN"}) == std::pair<std::string, bool>{"EN", false});
}

TEST_CASE("the earliest of several stop strings wins") {
  CHECK(Run({"cd", "b"}, {"abcd"}) == std::pair<std::string, bool>{"a", true});
  CHECK(Run({"xyz", "yz"}, {"1x", "yz2"}) == std::pair<std::string, bool>{"1", true});
}

TEST_CASE("multi-byte characters are held whole") {
  // The stop string starts with "é" (C3 A9); text "é!" must not be split.
  StopStrings filter({"\xC3\xA9\xC3\xA9"});
  CHECK(filter.Push("a\xC3\xA9") == "a");
  CHECK(filter.Push("!") == "\xC3\xA9!");
}

}  // namespace
}  // namespace bitbrain::generate
