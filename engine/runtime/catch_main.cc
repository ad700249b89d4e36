// The Catch2 main shared by the tests of this folder.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
