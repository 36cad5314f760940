#include "util/sha256.h"

#include <gtest/gtest.h>

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(pictor::Sha256::hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    pictor::Sha256 h;
    h.update("ab");
    h.update("c");
    EXPECT_EQ(h.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
