// The layouts against their description in ternary_layout.h, code by code,
// from i2s::Get. (The matmuls that stream them are checked in conformance/;
// this also covers a layout whose kernel this CPU cannot run.)
#include "kernels/ternary_layout.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "kernels/formats/i2s.h"

namespace bitbrain::kernels {
namespace {

struct Weights {
  int rows, cols;
  std::vector<uint8_t> i2s;
};

Weights RandomWeights(int rows, int cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int8_t> ternary(static_cast<size_t>(rows) * cols);
  for (int8_t& t : ternary) t = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  Weights w{rows, cols, std::vector<uint8_t>(i2s::TensorBytes(ternary.size()))};
  i2s::Pack(ternary, 1.0f, w.i2s);
  return w;
}

// The code of (row, col), and 1 (ternary 0) for padding rows.
int Code(const Weights& w, int row, int col) {
  if (row >= w.rows) return 1;
  return i2s::Get(w.i2s.data(), static_cast<size_t>(row) * w.cols + col) + 1;
}

TEST_CASE("block-interleaved layout") {
  const int group = 4;
  for (int rows : {1, 3, 4, 17}) {
    for (int cols : {128, 384}) {
      const Weights w = RandomWeights(rows, cols, rows * 1000 + cols);
      std::vector<uint8_t> out(GroupedLayoutBytes(rows, cols, group));
      REQUIRE(out.size() == static_cast<size_t>((rows + group - 1) / group * group) * cols / 4);
      PackBlockInterleaved(w.i2s.data(), rows, cols, group, out.data());
      size_t at = 0;
      for (int row0 = 0; row0 < rows; row0 += group) {
        for (int block = 0; block < cols / 128; ++block) {
          for (int j = 0; j < group; ++j) {
            for (int p = 0; p < 32; ++p, ++at) {
              for (int s = 0; s < 4; ++s) {
                INFO("rows " << rows << " cols " << cols << " byte " << at);
                REQUIRE(((out[at] >> (6 - 2 * s)) & 3) ==
                        Code(w, row0 + j, block * 128 + 32 * s + p));
              }
            }
          }
        }
      }
      CHECK(at == out.size());
    }
  }
}

TEST_CASE("row-interleaved layout") {
  const int group = 16;
  for (int rows : {1, 3, 16, 17, 33}) {
    for (int cols : {128, 384}) {
      const Weights w = RandomWeights(rows, cols, rows * 1000 + cols);
      std::vector<uint8_t> out(GroupedLayoutBytes(rows, cols, group));
      PackRowInterleaved(w.i2s.data(), rows, cols, group, out.data());
      size_t at = 0;
      for (int row0 = 0; row0 < rows; row0 += group) {
        for (int k0 = 0; k0 < cols; k0 += kChunkColumns) {
          for (int j = 0; j < group; ++j) {
            for (int i = 0; i < 4; ++i, ++at) {
              for (int s = 0; s < 4; ++s) {
                INFO("rows " << rows << " cols " << cols << " byte " << at);
                REQUIRE(((out[at] >> (2 * s)) & 3) == Code(w, row0 + j, k0 + 4 * s + i));
              }
            }
          }
        }
      }
      CHECK(at == out.size());
    }
  }
}

TEST_CASE("base-3 layout") {
  for (int rows : {1, 3, 17}) {
    for (int cols : {128, 384, 640, 6912}) {
      const Weights w = RandomWeights(rows, cols, rows * 1000 + cols);
      std::vector<uint8_t> out(Base3LayoutBytes(rows, cols));
      const int blocks = (cols + 159) / 160;
      REQUIRE(out.size() == static_cast<size_t>(rows) * blocks * 32);
      PackBase3(w.i2s.data(), rows, cols, out.data());
      size_t at = 0;
      for (int row = 0; row < rows; ++row) {
        for (int word = 0; word < blocks * 16; ++word, at += 2) {
          const uint16_t x = static_cast<uint16_t>(out[at] | out[at + 1] << 8);
          for (int code = 0; code < 10; ++code) {
            const int col = 10 * word + code;
            INFO("rows " << rows << " cols " << cols << " byte " << at << " code " << code);
            // Columns past the end hold weight 0 too.
            REQUIRE(Base3Code(x, code) == (col < cols ? Code(w, row, col) : 1));
          }
        }
      }
      CHECK(at == out.size());
    }
  }
}

TEST_CASE("base-3 decoding of every 10-code word") {
  for (uint32_t v = 0; v < 59049; ++v) {
    const auto x = static_cast<uint16_t>((v * 65536 + 59048) / 59049);
    uint32_t rest = v;
    for (int code = 9; code >= 0; --code, rest /= 3) {
      INFO("v " << v << " code " << code);
      REQUIRE(Base3Code(x, code) == static_cast<int>(rest % 3));
    }
  }
}

TEST_CASE("triples: each canonical triple once, every ternary triple coded") {
  for (int a = -1; a <= 1; ++a) {
    for (int b = -1; b <= 1; ++b) {
      for (int c = -1; c <= 1; ++c) {
        const int code = TripleCode(a, b, c);
        REQUIRE(code >= 0);
        const int sign = code >> 4 ? -1 : 1;
        const int8_t* triple = kTriples[code & 15];
        CHECK(sign * triple[0] == a);
        CHECK(sign * triple[1] == b);
        CHECK(sign * triple[2] == c);
      }
    }
  }
  CHECK(TripleCode(0, 0, 0) == 0);
}

TEST_CASE("triples layout") {
  for (int rows : {1, 31, 64, 65, 130}) {
    for (int cols : {128, 384, 2560}) {
      const Weights w = RandomWeights(rows, cols, rows * 1000 + cols + 7);
      const int steps = TripleSteps(cols);
      std::vector<uint8_t> out(TripleLayoutBytes(rows, cols));
      REQUIRE(out.size() == static_cast<size_t>((rows + 63) / 64) * steps * 2 * 160);
      PackTriples(w.i2s.data(), rows, cols, out.data());
      const int padded_rows = (rows + 63) / 64 * 64;
      for (int row = 0; row < padded_rows; ++row) {
        for (int step = 0; step < steps; ++step) {
          const uint8_t* bytes = out.data() + ((row / 64 * steps + step) * 2 + row % 64 / 32) * 160;
          const int r = row % 32;
          for (int g = 0; g < 8; ++g) {
            const int index = bytes[32 * (g / 2) + r] >> (4 * (g % 2)) & 15;
            const int sign = (bytes[128 + r] >> g & 1) ? -1 : 1;
            REQUIRE(index < kCanonicalTriples);
            for (int j = 0; j < 3; ++j) {
              const int col = 3 * (8 * step + g) + j;
              INFO("rows " << rows << " cols " << cols << " row " << row << " col " << col);
              // Columns past the end and rows past the end hold weight 0.
              const int expected = col < cols ? Code(w, row, col) - 1 : 0;
              REQUIRE(sign * kTriples[index][j] == expected);
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace bitbrain::kernels
