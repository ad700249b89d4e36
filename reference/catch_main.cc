// The Catch2 main shared by the reference's tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
