// I2_S golden bytes, worked out by hand from the layout in
// ../shared/specs/bitnet-model.md section 3 (not produced by the code under
// test):
//   element j of a 128-element block sits in byte j % 32 of the block's 32
//   bytes, bits (7 - 2*(j/32)) .. (6 - 2*(j/32)); code = ternary + 1.
//   The float32 scale follows the last block, at byte n/4; then 28 bytes.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "kernels/formats/i2s.h"

namespace bitbrain::i2s {
namespace {

// One block: +1 at 0, 32, 96; -1 at 31, 64, 127; 0 elsewhere.
std::vector<int8_t> OneBlock() {
  std::vector<int8_t> t(128, 0);
  t[0] = +1;
  t[31] = -1;
  t[32] = +1;
  t[64] = -1;
  t[96] = +1;
  t[127] = -1;
  return t;
}

// Codes: 0 -> 1 (binary 01), +1 -> 2 (10), -1 -> 0 (00).
// Byte p holds elements p, 32+p, 64+p, 96+p in bits 7:6, 5:4, 3:2, 1:0.
//   byte 0:  elements 0 (+1 -> 10), 32 (+1 -> 10), 64 (-1 -> 00), 96 (+1 -> 10)
//            = 10 10 00 10 = 0xA2
//   byte 31: elements 31 (-1 -> 00), 63 (0 -> 01), 95 (0 -> 01), 127 (-1 -> 00)
//            = 00 01 01 00 = 0x14
//   bytes 1..30: all four elements 0 -> 01 01 01 01 = 0x55
// Scale 0.75f = 0x3F400000, little-endian at byte 128/4 = 32: 00 00 40 3F.
// Padding: Pack writes zeros.
const std::vector<uint8_t> kOneBlockBytes = {
    0xA2, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
    0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x14,
    0x00, 0x00, 0x40, 0x3F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

TEST_CASE("one block packs to the hand-derived bytes") {
  const std::vector<int8_t> t = OneBlock();
  REQUIRE(TensorBytes(128) == 64);
  std::vector<uint8_t> out(64, 0xEE);
  Pack(t, 0.75f, out);
  CHECK(out == kOneBlockBytes);
}

TEST_CASE("the hand-derived bytes unpack to the block") {
  std::vector<uint8_t> bytes = kOneBlockBytes;
  // The padding is undefined in real files: it must not matter.
  std::memset(bytes.data() + 36, 0xFF, 28);
  std::vector<int8_t> out(128, 7);
  Unpack(bytes.data(), out);
  CHECK(out == OneBlock());
  for (size_t j = 0; j < 128; ++j) CHECK(Get(bytes.data(), j) == OneBlock()[j]);
  CHECK(Scale(bytes.data(), 128) == 0.75f);
}

// Two blocks (256 elements): the second block starts at byte 32.
//   element 128+5  = +1: block 1, byte 5, bits 7:6 -> 10 01 01 01 = 0x95 at byte 37
//   element 128+127 = -1: block 1, byte 31, bits 1:0 -> 01 01 01 00 = 0x54 at byte 63
//   element 64+2 = -1: block 0, byte 2, bits 3:2 -> 01 01 00 01 = 0x51 at byte 2
// Scale -2.5f = 0xC0200000 at byte 256/4 = 64: 00 00 20 C0.
TEST_CASE("two blocks: the second block and the scale position") {
  std::vector<int8_t> t(256, 0);
  t[128 + 5] = +1;
  t[128 + 127] = -1;
  t[64 + 2] = -1;
  std::vector<uint8_t> expected(96, 0x55);
  expected[2] = 0x51;
  expected[37] = 0x95;
  expected[63] = 0x54;
  const uint8_t scale_bytes[4] = {0x00, 0x00, 0x20, 0xC0};
  std::memcpy(expected.data() + 64, scale_bytes, 4);
  std::memset(expected.data() + 68, 0, 28);

  REQUIRE(TensorBytes(256) == 96);
  std::vector<uint8_t> out(96);
  Pack(t, -2.5f, out);
  CHECK(out == expected);
  CHECK(Scale(out.data(), 256) == -2.5f);
  CHECK(Get(out.data(), 133) == 1);
  CHECK(Get(out.data(), 255) == -1);
  CHECK(Get(out.data(), 66) == -1);
  CHECK(Get(out.data(), 67) == 0);
}

TEST_CASE("pack and unpack are inverse on many blocks") {
  std::vector<int8_t> t(128 * 7);
  uint32_t state = 12345;
  for (int8_t& v : t) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<int8_t>(static_cast<int>(state >> 30) % 3 - 1);
  }
  std::vector<uint8_t> bytes(TensorBytes(t.size()));
  Pack(t, 1.25f, bytes);
  std::vector<int8_t> back(t.size());
  Unpack(bytes.data(), back);
  CHECK(back == t);
  CHECK(FindInvalidCode(bytes.data(), t.size()) == -1);
}

TEST_CASE("FindInvalidCode finds code 3 in any field") {
  std::vector<uint8_t> bytes = kOneBlockBytes;
  CHECK(FindInvalidCode(bytes.data(), 128) == -1);
  // 0x55 = 01 01 01 01; setting field 5:4 to 11 gives 01 11 01 01 = 0x75.
  bytes[17] = 0x75;
  CHECK(FindInvalidCode(bytes.data(), 128) == 17);
  bytes[17] = 0x55;
  bytes[30] = 0x57;  // field 1:0 = 11
  CHECK(FindInvalidCode(bytes.data(), 128) == 30);
  bytes[4] = 0xD5;  // field 7:6 = 11
  CHECK(FindInvalidCode(bytes.data(), 128) == 4);
  // 10 10 10 10 = 0xAA has no 11 field; the scale bytes are not codes.
  std::vector<uint8_t> clean(64, 0xAA);
  std::memset(clean.data() + 32, 0xFF, 32);
  CHECK(FindInvalidCode(clean.data(), 128) == -1);
}

}  // namespace
}  // namespace bitbrain::i2s
