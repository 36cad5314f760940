#include "util/npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "util/error.h"

namespace {

const std::string kCases = std::string(PICTOR_SHARED_DIR) + "/testdata/zimage-dev/cases/";

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("pictor_npy_" + std::to_string(::getpid()) + "_" + name)).string();
}

}  // namespace

TEST(Npy, ReadsReferenceFiles) {
    auto noise = pictor::read_npy(kCases + "d1/noise.npy");
    EXPECT_EQ(noise.dtype, pictor::NpyDtype::F32);
    EXPECT_EQ(noise.shape, (std::vector<int64_t>{1, 16, 8, 8}));
    EXPECT_EQ(noise.as<float>().size(), 1024u);

    auto d2 = pictor::read_npy(kCases + "d2/noise.npy");
    EXPECT_EQ(d2.shape, (std::vector<int64_t>{1, 16, 16, 12}));

    auto ids = pictor::read_npy(kCases + "d1/token_ids.npy");
    EXPECT_EQ(ids.dtype, pictor::NpyDtype::I64);
    EXPECT_EQ(ids.shape, (std::vector<int64_t>{16}));
    auto v = ids.as<int64_t>();
    EXPECT_EQ(v.front(), 151644);
    EXPECT_EQ(v.back(), 198);
    EXPECT_THROW(ids.as<float>(), pictor::Error);

    auto dec = pictor::read_npy(kCases + "d2/decoded.npy");
    EXPECT_EQ(dec.shape, (std::vector<int64_t>{1, 3, 128, 96}));
    auto sig = pictor::read_npy(kCases + "d2/sigmas.npy");
    EXPECT_EQ(sig.shape, (std::vector<int64_t>{4}));
    EXPECT_EQ(sig.as<float>()[0], 1.0f);
    auto t = pictor::read_npy(kCases + "d1/step00_t_model.npy");
    EXPECT_EQ(t.shape, (std::vector<int64_t>{1}));
}

TEST(Npy, RoundTripAllDtypes) {
    const std::string p = temp_path("rt.npy");
    {
        std::vector<float> v{1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e-30f};
        pictor::write_npy(p, {2, 3}, v);
        auto a = pictor::read_npy(p);
        EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
        EXPECT_EQ(a.as<float>(), v);
    }
    {
        std::vector<double> v{1.0 / 3.0, -1e300};
        pictor::write_npy(p, {2}, v);
        EXPECT_EQ(pictor::read_npy(p).as<double>(), v);
    }
    {
        std::vector<int64_t> v{-1, 1LL << 40, 7};
        pictor::write_npy(p, {3, 1}, v);
        auto a = pictor::read_npy(p);
        EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 1}));
        EXPECT_EQ(a.as<int64_t>(), v);
        EXPECT_EQ(a.to_f32(), (std::vector<float>{-1.0f, float(1LL << 40), 7.0f}));
    }
    {
        std::vector<int32_t> v{-5, 5};
        pictor::write_npy(p, {2}, v);
        EXPECT_EQ(pictor::read_npy(p).as<int32_t>(), v);
    }
    {
        std::vector<uint8_t> v{0, 255, 128};
        pictor::write_npy(p, {3}, v);
        EXPECT_EQ(pictor::read_npy(p).as<uint8_t>(), v);
    }
    {  // scalar: shape ()
        std::vector<float> v{42.0f};
        pictor::write_npy(p, {}, v);
        auto a = pictor::read_npy(p);
        EXPECT_TRUE(a.shape.empty());
        EXPECT_EQ(a.as<float>(), v);
    }
    std::remove(p.c_str());
}

TEST(Npy, HeaderIsAlignedAndNumpyShaped) {
    std::vector<float> v(3);
    auto bytes = pictor::encode_npy(pictor::NpyDtype::F32, {3}, v.data());
    const size_t hl = size_t(bytes[8]) | size_t(bytes[9]) << 8;
    EXPECT_EQ((10 + hl) % 64, 0u);
    const std::string header(bytes.begin() + 10, bytes.begin() + 10 + long(hl));
    EXPECT_NE(header.find("'shape': (3,)"), std::string::npos) << header;
    EXPECT_EQ(header.back(), '\n');
}

TEST(Npy, ReadsVersion2) {
    // Hand-built v2 header (4-byte length), as numpy writes for very long headers.
    std::string h = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
    h.append((64 - (12 + h.size() + 1) % 64) % 64, ' ');
    h += '\n';
    std::vector<uint8_t> f{0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, uint8_t(h.size()), 0, 0, 0};
    f.insert(f.end(), h.begin(), h.end());
    for (uint8_t b : {7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF}) f.push_back(b);
    auto a = pictor::parse_npy(f.data(), f.size());
    EXPECT_EQ(a.as<int32_t>(), (std::vector<int32_t>{7, -1}));
}

TEST(Npy, RejectsUnsupported) {
    auto make = [](const std::string& dict) {
        std::string h = dict + "\n";
        std::vector<uint8_t> f{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, uint8_t(h.size()), 0};
        f.insert(f.end(), h.begin(), h.end());
        f.resize(f.size() + 64, 0);
        return f;
    };
    auto kind_of = [](const std::vector<uint8_t>& f) {
        try {
            pictor::parse_npy(f.data(), f.size());
        } catch (const pictor::Error& e) {
            return e.kind();
        }
        return pictor::ErrorKind::Internal;
    };
    EXPECT_EQ(kind_of(make("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }")),
              pictor::ErrorKind::Unsupported);
    EXPECT_EQ(kind_of(make("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }")),
              pictor::ErrorKind::Unsupported);
    EXPECT_EQ(kind_of(make("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }")),
              pictor::ErrorKind::Unsupported);
    EXPECT_EQ(kind_of(make("{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }")),
              pictor::ErrorKind::Corrupt);  // truncated data
    const std::vector<uint8_t> junk{'n', 'o', 't', ' ', 'n', 'p', 'y', '!', 0, 0, 0};
    EXPECT_EQ(kind_of(junk), pictor::ErrorKind::Corrupt);
    EXPECT_THROW(pictor::read_npy("/nonexistent/file.npy"), pictor::Error);
}
