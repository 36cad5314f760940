#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "util/error.h"
#include "util/image_u8.h"
#include "util/npy.h"
#include "util/png_reader.h"
#include "util/png_writer.h"

namespace {

const std::string kPngCases = std::string(PICTOR_SHARED_DIR) + "/testdata/zimage-dev/cases/";

void check_case(const std::string& name) {
    auto dec = pictor::read_npy(kPngCases + name + "/decoded.npy");
    ASSERT_EQ(dec.shape.size(), 4u);
    const int c = int(dec.shape[1]), h = int(dec.shape[2]), w = int(dec.shape[3]);
    const auto x = dec.as<float>();
    const auto mine = pictor::planar_to_interleaved_u8(x.data(), c, h, w);
    const auto ref = pictor::read_png_file(kPngCases + name + "/image.png");
    ASSERT_EQ(ref.width, w);
    ASSERT_EQ(ref.height, h);
    ASSERT_EQ(ref.rgb.size(), mine.size());
    size_t differ = 0;
    int maxdiff = 0;
    for (size_t i = 0; i < mine.size(); ++i) {
        const int d = std::abs(int(mine[i]) - int(ref.rgb[i]));
        differ += d != 0;
        maxdiff = std::max(maxdiff, d);
    }
    std::printf("[ info ] %s: %zu of %zu channel values differ from image.png (max diff %d)\n", name.c_str(), differ,
                mine.size(), maxdiff);
    EXPECT_LE(maxdiff, 1);

    // And our own encoder round-trips those pixels.
    const auto png = pictor::encode_png(mine.data(), w, h, 3);
    const auto back = pictor::decode_png(png.data(), png.size());
    EXPECT_EQ(back.rgb, mine);
}

}  // namespace

TEST(ImageU8, RoundsHalfToEvenAndClamps) {
    EXPECT_EQ(pictor::unit_to_u8(-1.0f), 0);
    EXPECT_EQ(pictor::unit_to_u8(-5.0f), 0);
    EXPECT_EQ(pictor::unit_to_u8(1.0f), 255);
    EXPECT_EQ(pictor::unit_to_u8(3.0f), 255);
    EXPECT_EQ(pictor::unit_to_u8(0.0f), 128);  // 127.5 -> 128 (even)
    // v = 0.5/255 + ... : pick x with v·255 exactly 0.5 -> rounds to 0; 1.5 -> 2; 2.5 -> 2.
    // v·255 = k + 0.5 needs v = (k+0.5)/255, x = 2v - 1; use values where float math is exact
    // enough: check through the public function with brute force instead.
    int seen_even = 0;
    for (int k = 0; k < 255; ++k) {
        // Find an x whose v·255 lands exactly on k + 0.5, if one exists in float.
        const float v = (float(k) + 0.5f) / 255.0f;
        if (v * 255.0f != float(k) + 0.5f) continue;
        const float x = (v - 0.5f) * 2.0f;
        if (x * 0.5f + 0.5f != v) continue;
        EXPECT_EQ(pictor::unit_to_u8(x), (k % 2 == 0) ? k : k + 1) << k;
        ++seen_even;
    }
    EXPECT_GT(seen_even, 0);
    const float planar[6] = {-1.0f, 1.0f, 0.0f, 0.0f, 1.0f, -1.0f};  // C=3, H=1, W=2
    EXPECT_EQ(pictor::planar_to_interleaved_u8(planar, 3, 1, 2), (std::vector<uint8_t>{0, 128, 255, 255, 128, 0}));
}

TEST(ImageU8, ReproducesReferencePngD1) { check_case("d1"); }
TEST(ImageU8, ReproducesReferencePngD2) { check_case("d2"); }

TEST(Png, TextChunksRoundTrip) {
    std::vector<uint8_t> px(4 * 3 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 7);
    const std::vector<pictor::PngText> text{
        {"prompt", "Ein Boot auf dem See, Öl auf Leinwand — 1890 🚣"},
        {"negative_prompt", "blurry, low quality"},
        {"seed", "18446744073709551615"},
        {"steps", "8"},
        {"guidance", "0"},
        {"size", "4x3"},
        {"model", "z-image-turbo:latest"},
        {"empty", ""},
    };
    const auto png = pictor::encode_png(px.data(), 4, 3, 3, text);
    const auto d = pictor::decode_png(png.data(), png.size());
    EXPECT_EQ(d.width, 4);
    EXPECT_EQ(d.height, 3);
    EXPECT_FALSE(d.had_alpha);
    EXPECT_EQ(d.rgb, px);
    ASSERT_EQ(d.text.size(), text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        EXPECT_EQ(d.text[i].key, text[i].key);
        EXPECT_EQ(d.text[i].value, text[i].value);
    }
    ASSERT_NE(d.find_text("seed"), nullptr);
    EXPECT_EQ(*d.find_text("seed"), "18446744073709551615");
    EXPECT_EQ(d.find_text("nope"), nullptr);
    // The non-ASCII value must be in an iTXt chunk, ASCII ones in tEXt.
    const std::string bytes(png.begin(), png.end());
    EXPECT_NE(bytes.find("iTXtprompt"), std::string::npos);
    EXPECT_NE(bytes.find("tEXtseed"), std::string::npos);
}

TEST(Png, RgbaDecodesToRgb) {
    std::vector<uint8_t> px{10, 20, 30, 255, 40, 50, 60, 0};
    const auto png = pictor::encode_png(px.data(), 2, 1, 4);
    const auto d = pictor::decode_png(png.data(), png.size());
    EXPECT_TRUE(d.had_alpha);
    EXPECT_EQ(d.rgb, (std::vector<uint8_t>{10, 20, 30, 40, 50, 60}));
}

TEST(Png, RejectsBadInput) {
    std::vector<uint8_t> px(12);
    EXPECT_THROW(pictor::encode_png(px.data(), 2, 2, 2), pictor::Error);
    EXPECT_THROW(pictor::encode_png(px.data(), 2, 2, 3, {{"", "x"}}), pictor::Error);
    EXPECT_THROW(pictor::encode_png(px.data(), 2, 2, 3, {{"bad\nkey", "x"}}), pictor::Error);
    const auto png = pictor::encode_png(px.data(), 2, 2, 3);
    EXPECT_THROW(pictor::decode_png(png.data(), png.size() / 2), pictor::Error);  // truncated
    EXPECT_THROW(pictor::decode_png(px.data(), px.size()), pictor::Error);        // not a PNG
}

TEST(Png, Encode1024Timing) {
    const int w = 1024, h = 1024;
    std::vector<uint8_t> px(size_t(w) * h * 3);
    // Smooth gradient plus a little pseudo-random texture: closer to a real image than zeros.
    uint32_t s = 1;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) {
                s = s * 1664525u + 1013904223u;
                px[(size_t(y) * w + x) * 3 + c] = uint8_t((x + y * (c + 1)) / 8 + ((s >> 28) & 3));
            }
    auto t0 = std::chrono::steady_clock::now();
    const auto png = pictor::encode_png(px.data(), w, h, 3, {{"prompt", "timing"}});
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ info ] 1024x1024 RGB encode: %.1f ms, %zu bytes\n", ms, png.size());
    EXPECT_EQ(pictor::decode_png(png.data(), png.size()).rgb, px);
}
