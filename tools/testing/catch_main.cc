// The Catch2 main shared by every test: define tests, link this target.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
