// Safetensors reader/writer tests: hostile files must each give a clear Corrupt error (never a
// crash), the writers must round-trip, and the real-layout test model must open.
#include "store/safetensors.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "util/error.h"

namespace fs = std::filesystem;
using namespace pictor;
using namespace pictor::store;

namespace {

class SafetensorsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("pictor-st-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path write_bytes(const std::string& name, const std::string& bytes) {
        fs::path p = dir_ / name;
        std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
        return p;
    }

    fs::path dir_;
};

std::string u64le(uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[size_t(i)] = char((v >> (8 * i)) & 0xff);
    return s;
}

// A file with the given JSON header (padded with spaces to keep data aligned unless pad is
// false) followed by data_size zero bytes.
std::string raw_file(std::string header, size_t data_size, bool pad = true) {
    if (pad) header.append((8 - header.size() % 8) % 8, ' ');
    return u64le(header.size()) + header + std::string(data_size, '\0');
}

// Expects both open() and read_header() to fail with Corrupt, naming the file and the reason.
void expect_corrupt(const fs::path& p, const std::string& why) {
    for (int mode = 0; mode < 2; ++mode) {
        try {
            if (mode == 0) SafetensorsFile::open(p);
            else SafetensorsFile::read_header(p);
            ADD_FAILURE() << (mode ? "read_header" : "open") << " accepted a bad file (" << why << ")";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
            std::string msg = e.what();
            EXPECT_NE(msg.find(p.string() + ": "), std::string::npos) << msg;
            EXPECT_NE(msg.find(why), std::string::npos) << "message \"" << msg << "\" lacks \"" << why << "\"";
        }
    }
}

}  // namespace

TEST(SafetensorsDType, NamesAndSizes) {
    EXPECT_EQ(parse_dtype("F8_E4M3"), DType::F8_E4M3);
    EXPECT_EQ(dtype_size(DType::F8_E4M3), 1u);
    EXPECT_EQ(dtype_size(DType::BF16), 2u);
    EXPECT_EQ(dtype_size(DType::F64), 8u);
    EXPECT_EQ(dtype_name(DType::BOOL), "BOOL");
    for (auto t : {DType::F64, DType::F32, DType::F16, DType::BF16, DType::F8_E4M3, DType::F8_E5M2, DType::I64,
                   DType::I32, DType::I16, DType::I8, DType::U64, DType::U32, DType::U16, DType::U8, DType::BOOL})
        EXPECT_EQ(parse_dtype(dtype_name(t)), t);
    try {
        parse_dtype("bf16");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
        EXPECT_STREQ(e.what(), "unknown dtype \"bf16\"");
    }
}

TEST(SafetensorsHeader, SingleTensorMatchesReferenceImporter) {
    std::vector<int64_t> shape{2, 3};
    std::string h = single_tensor_header("layers.0.attention.to_q.weight", DType::BF16, shape);
    std::string json = R"({"layers.0.attention.to_q.weight":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]}})";
    ASSERT_EQ(h.size() % 8, 0u);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(h[size_t(i)]);
    EXPECT_EQ(n, h.size() - 8);
    EXPECT_EQ(h.substr(8, json.size()), json);
    EXPECT_EQ(h.substr(8 + json.size()), std::string(h.size() - 8 - json.size(), ' '));
    EXPECT_LT(h.size() - 8 - json.size(), 8u);
}

TEST(SafetensorsHeader, ScalarAndEscaping) {
    std::string h = single_tensor_header("a\"b", DType::F32, {});
    EXPECT_NE(h.find(R"({"a\"b":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})"), std::string::npos);
}

TEST_F(SafetensorsTest, SingleTensorBlobOpens) {
    std::vector<int64_t> shape{3, 5};
    std::string blob = single_tensor_header("w", DType::F16, shape) + std::string(30, '\x11');
    auto f = SafetensorsFile::open(write_bytes("blob", blob));
    ASSERT_EQ(f.tensors().size(), 1u);
    const TensorInfo* t = f.find("w");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype, DType::F16);
    EXPECT_EQ(t->shape, shape);
    EXPECT_EQ(t->numel(), 15);
    EXPECT_EQ(f.data(*t).size(), 30u);
    EXPECT_EQ(f.data_offset() % 8, 0u);
    EXPECT_TRUE(f.metadata().empty());
}

TEST_F(SafetensorsTest, MultiTensorHeaderWithMetadata) {
    std::vector<TensorDecl> decls{{"w", DType::F8_E4M3, {4, 3}}, {"w.scale", DType::F32, {1}}};
    std::string h = multi_tensor_header(decls, {{"quant_type", "fp8"}});
    std::string blob = h + std::string(12, '\x01') + std::string(4, '\x02');
    auto p = write_bytes("fp8", blob);
    auto f = SafetensorsFile::open(p);
    ASSERT_EQ(f.tensors().size(), 2u);
    EXPECT_EQ(f.metadata().at("quant_type"), "fp8");
    EXPECT_EQ(f.find("w")->begin, 0u);
    EXPECT_EQ(f.find("w")->end, 12u);
    EXPECT_EQ(f.find("w.scale")->begin, 12u);
    EXPECT_EQ(f.find("w.scale")->dtype, DType::F32);
    EXPECT_EQ(std::to_integer<int>(f.data(*f.find("w.scale"))[0]), 2);
    std::map<std::string, std::string> md;
    auto hdr = SafetensorsFile::read_header(p, &md);
    ASSERT_EQ(hdr.size(), 2u);
    EXPECT_EQ(hdr[0].name, "w");
    EXPECT_EQ(md.at("quant_type"), "fp8");
}

TEST(SafetensorsHeader, RejectsBadDeclarations) {
    std::vector<TensorDecl> dup{{"a", DType::F32, {1}}, {"a", DType::F32, {1}}};
    EXPECT_THROW(multi_tensor_header(dup), Error);
    std::vector<TensorDecl> neg{{"a", DType::F32, {-1}}};
    EXPECT_THROW(multi_tensor_header(neg), Error);
    std::vector<TensorDecl> meta{{"__metadata__", DType::F32, {1}}};
    EXPECT_THROW(multi_tensor_header(meta), Error);
}

TEST_F(SafetensorsTest, WriterRoundTrip) {
    fs::path p = dir_ / "model.safetensors";
    std::vector<float> a(1000);
    for (size_t i = 0; i < a.size(); ++i) a[i] = float(i) * 0.5f;
    std::vector<uint16_t> b(7, 0xabcd);
    {
        SafetensorsWriter w(p, {{"a", DType::F32, {10, 100}}, {"b", DType::BF16, {7}}, {"empty", DType::F32, {0, 4}}},
                            {{"format", "pt"}});
        // Chunked writes that straddle tensor boundaries must be fine.
        w.write(a.data(), 1234);
        w.write(reinterpret_cast<const char*>(a.data()) + 1234, a.size() * 4 - 1234);
        w.write(b.data(), b.size() * 2);
        w.finish();
    }
    auto f = SafetensorsFile::open(p);
    EXPECT_EQ(f.metadata().at("format"), "pt");
    ASSERT_EQ(f.tensors().size(), 3u);
    auto da = f.data(*f.find("a"));
    ASSERT_EQ(da.size(), 4000u);
    EXPECT_EQ(std::memcmp(da.data(), a.data(), 4000), 0);
    auto db = f.data(*f.find("b"));
    EXPECT_EQ(std::memcmp(db.data(), b.data(), 14), 0);
    EXPECT_EQ(f.find("empty")->nbytes(), 0u);
    EXPECT_EQ(f.find("nope"), nullptr);
    // Nothing but the final file is left in the directory.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(SafetensorsTest, WriterLargeStream) {
    // More than the writer's internal buffer, written in odd-sized chunks.
    fs::path p = dir_ / "big.safetensors";
    const size_t n = 3'000'001;
    std::vector<uint8_t> src(n);
    for (size_t i = 0; i < n; ++i) src[i] = uint8_t(i * 31 + 7);
    {
        SafetensorsWriter w(p, {{"x", DType::U8, {int64_t(n)}}, {"y", DType::U8, {int64_t(n)}}});
        w.write(src.data(), n);
        for (size_t off = 0; off < n; off += 999'983) w.write(src.data() + off, std::min<size_t>(999'983, n - off));
        w.finish();
    }
    auto f = SafetensorsFile::open(p);
    EXPECT_EQ(std::memcmp(f.data(*f.find("x")).data(), src.data(), n), 0);
    EXPECT_EQ(std::memcmp(f.data(*f.find("y")).data(), src.data(), n), 0);
}

TEST_F(SafetensorsTest, WriterTooManyBytes) {
    fs::path p = dir_ / "m.safetensors";
    {
        SafetensorsWriter w(p, {{"a", DType::F32, {2}}});
        float v[3] = {1, 2, 3};
        EXPECT_THROW(w.write(v, sizeof v), Error);
    }
    EXPECT_FALSE(fs::exists(p));
    EXPECT_TRUE(fs::is_empty(dir_)) << "temp file left behind";
}

TEST_F(SafetensorsTest, WriterTooFewBytes) {
    fs::path p = dir_ / "m.safetensors";
    {
        SafetensorsWriter w(p, {{"a", DType::F32, {2}}, {"b", DType::F32, {2}}});
        float v[3] = {1, 2, 3};
        w.write(v, sizeof v);
        try {
            w.finish();
            FAIL() << "finish() accepted a short stream";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("\"b\""), std::string::npos) << e.what();
        }
    }
    EXPECT_FALSE(fs::exists(p));
    EXPECT_TRUE(fs::is_empty(dir_)) << "temp file left behind";
}

TEST_F(SafetensorsTest, WriterAbandonedLeavesNothing) {
    fs::path p = dir_ / "m.safetensors";
    { SafetensorsWriter w(p, {{"a", DType::F32, {2}}}); }
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SafetensorsTest, WriterMissingDirectory) {
    try {
        SafetensorsWriter w(dir_ / "no" / "such" / "m.safetensors", {{"a", DType::F32, {2}}});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no/such"), std::string::npos) << e.what();
    }
}

TEST_F(SafetensorsTest, MissingFileIsNotFound) {
    try {
        SafetensorsFile::open(dir_ / "absent.safetensors");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    }
}

// ---- hostile files --------------------------------------------------------------------------

TEST_F(SafetensorsTest, EmptyAndTinyFiles) {
    expect_corrupt(write_bytes("empty", ""), "too short");
    expect_corrupt(write_bytes("four", "abcd"), "too short");
}

TEST_F(SafetensorsTest, HeaderLengthZero) { expect_corrupt(write_bytes("z", u64le(0) + "{}      "), "header length is 0"); }

TEST_F(SafetensorsTest, HeaderLengthPastFile) {
    expect_corrupt(write_bytes("past", u64le(64) + "{}      "), "exceeds the file size");
}

TEST_F(SafetensorsTest, HeaderLengthHuge) {
    expect_corrupt(write_bytes("huge", u64le(~0ull) + "{}      "), "exceeds the 100 MiB limit");
    expect_corrupt(write_bytes("huge2", u64le(1ull << 62) + "{}      "), "exceeds the 100 MiB limit");
    expect_corrupt(write_bytes("huge3", u64le((100ull << 20) + 8) + "{}      "), "exceeds the 100 MiB limit");
}

TEST_F(SafetensorsTest, TruncatedData) {
    std::string full = raw_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 16);
    expect_corrupt(write_bytes("trunc", full.substr(0, full.size() - 5)), "past the end of the data");
    expect_corrupt(write_bytes("trunc_hdr", full.substr(0, 20)), "exceeds the file size");
}

TEST_F(SafetensorsTest, NotJson) {
    expect_corrupt(write_bytes("nj", raw_file("{not json", 0)), "not valid JSON");
    expect_corrupt(write_bytes("nj2", raw_file(R"({"a":1} trailing)", 0)), "not valid JSON");
    expect_corrupt(write_bytes("nul", raw_file(std::string("{}\0\0\0\0\0\0", 8), 0, false)), "not valid JSON");
    expect_corrupt(write_bytes("utf8", raw_file("{\"\xff\xfe\":1}", 0)), "not valid JSON");
}

TEST_F(SafetensorsTest, HeaderNotObject) {
    expect_corrupt(write_bytes("arr", raw_file("[1,2,3]", 0)), "not an object");
    expect_corrupt(write_bytes("str", raw_file("\"hello\"", 0)), "not an object");
    expect_corrupt(write_bytes("num", raw_file("42", 0)), "not an object");
}

TEST_F(SafetensorsTest, EntryNotObject) {
    expect_corrupt(write_bytes("e", raw_file(R"({"a":[1,2]})", 0)), "tensor \"a\": entry is a JSON array");
}

TEST_F(SafetensorsTest, MissingFields) {
    expect_corrupt(write_bytes("m1", raw_file(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4)), "\"dtype\"");
    expect_corrupt(write_bytes("m2", raw_file(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", 4)), "\"shape\"");
    expect_corrupt(write_bytes("m3", raw_file(R"({"a":{"dtype":"F32","shape":[1]}})", 4)), "data_offsets");
    expect_corrupt(write_bytes("m4", raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", 8)),
                   "data_offsets");
}

TEST_F(SafetensorsTest, UnknownDtype) {
    expect_corrupt(write_bytes("d", raw_file(R"({"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}})", 4)),
                   "unknown dtype \"F17\"");
}

TEST_F(SafetensorsTest, OffsetsPastEnd) {
    expect_corrupt(write_bytes("o", raw_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", 16)),
                   "past the end");
    expect_corrupt(
        write_bytes("o2", raw_file(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}})", 0)),
        "past the end");
}

TEST_F(SafetensorsTest, ReversedOrNegativeOffsets) {
    expect_corrupt(write_bytes("r", raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8)),
                   "reversed");
    expect_corrupt(write_bytes("n", raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 8)),
                   "not a non-negative integer");
    expect_corrupt(write_bytes("f", raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}})", 8)),
                   "not a non-negative integer");
}

TEST_F(SafetensorsTest, OverlappingRanges) {
    expect_corrupt(write_bytes("ov", raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                              16)),
                   "overlap");
    // Identical ranges overlap too.
    expect_corrupt(write_bytes("same", raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                                R"("b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})",
                                                8)),
                   "overlap");
}

TEST_F(SafetensorsTest, EmptyTensorsDoNotOverlap) {
    auto p = write_bytes("ok", raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                        R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                        12));
    EXPECT_EQ(SafetensorsFile::open(p).tensors().size(), 3u);
}

TEST_F(SafetensorsTest, WrongByteCount) {
    expect_corrupt(write_bytes("bc", raw_file(R"({"a":{"dtype":"BF16","shape":[3,3],"data_offsets":[0,16]}})", 16)),
                   "holds 16 bytes but dtype BF16 and its shape need 18");
}

TEST_F(SafetensorsTest, ShapeOverflow) {
    expect_corrupt(
        write_bytes("ovf", raw_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0)),
        "overflows");
    expect_corrupt(
        write_bytes("ovf2", raw_file(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0)),
        "overflows");
}

TEST_F(SafetensorsTest, NegativeOrNonIntegerDims) {
    expect_corrupt(write_bytes("neg", raw_file(R"({"a":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,0]}})", 0)),
                   "negative");
    expect_corrupt(write_bytes("flt", raw_file(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,0]}})", 0)),
                   "not an integer");
    expect_corrupt(
        write_bytes("big", raw_file(R"({"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,0]}})", 0)),
        "too large");
}

TEST_F(SafetensorsTest, MisalignedDataStart) {
    // Valid JSON of length 61 with no padding: data would start at byte 69.
    std::string h = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
    ASSERT_NE((8 + h.size()) % 8, 0u);
    expect_corrupt(write_bytes("mis", raw_file(h, 1, false)), "not 8-byte aligned");
}

TEST_F(SafetensorsTest, MetadataWrongType) {
    expect_corrupt(write_bytes("m1", raw_file(R"({"__metadata__":["pt"]})", 0)), "__metadata__ is a JSON array");
    expect_corrupt(write_bytes("m2", raw_file(R"({"__metadata__":"pt"})", 0)), "__metadata__ is a JSON string");
    expect_corrupt(write_bytes("m3", raw_file(R"({"__metadata__":{"format":1}})", 0)),
                   "__metadata__ value for \"format\" is a JSON number");
    expect_corrupt(write_bytes("m4", raw_file(R"({"__metadata__":{"x":{"y":"z"}}})", 0)), "not a string");
}

TEST_F(SafetensorsTest, DuplicateTensorName) {
    expect_corrupt(write_bytes("dup", raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                               R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                               8)),
                   "more than once");
}

TEST_F(SafetensorsTest, EmptyNameRejected) {
    expect_corrupt(write_bytes("en", raw_file(R"({"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4)),
                   "empty name");
}

TEST_F(SafetensorsTest, DirectoryIsNotAFile) {
    fs::create_directories(dir_ / "d");
    EXPECT_THROW(SafetensorsFile::open(dir_ / "d"), Error);
}

// Random single-byte corruptions of a valid file: every outcome must be a clean open or an
// Error, never a crash (ASan builds turn an out-of-bounds read into a failure).
TEST_F(SafetensorsTest, MutationsNeverCrash) {
    std::vector<TensorDecl> decls{{"w", DType::BF16, {4, 4}}, {"w.scale", DType::F32, {4}}, {"b", DType::U8, {3}}};
    std::string good = multi_tensor_header(decls, {{"format", "pt"}}) + std::string(32 + 16 + 3, '\x5a');
    std::mt19937 rng(1234);
    const std::string alphabet = "{}[]\",:0123456789-.e aFBU_";
    int opened = 0, rejected = 0;
    for (int i = 0; i < 1000; ++i) {
        std::string m = good;
        int edits = 1 + int(rng() % 3);
        for (int k = 0; k < edits; ++k) {
            size_t pos = rng() % m.size();
            m[pos] = (rng() & 1) ? char(rng()) : alphabet[rng() % alphabet.size()];
        }
        if (rng() % 10 == 0) m.resize(rng() % m.size());
        auto p = write_bytes("mut", m);
        try {
            auto f = SafetensorsFile::open(p);
            for (const auto& t : f.tensors()) (void)f.data(t);
            ++opened;
        } catch (const Error& e) {
            EXPECT_TRUE(e.kind() == ErrorKind::Corrupt) << e.what();
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 0);
    EXPECT_GT(opened, 0);
}

// ---- real files -----------------------------------------------------------------------------

TEST(SafetensorsRealFiles, ZImageDevModelOpens) {
    fs::path model = fs::path(PICTOR_SHARED_DIR) / "testdata/zimage-dev/model";
    if (!fs::exists(model)) GTEST_SKIP() << "no test data at " << model;
    struct Case {
        const char* file;
        size_t count;
        std::vector<std::string> names;
    };
    std::vector<Case> cases{
        {"transformer/diffusion_pytorch_model.safetensors", 73,
         {"x_pad_token", "cap_pad_token", "all_x_embedder.2-1.weight", "layers.1.feed_forward.w2.weight",
          "context_refiner.0.attention.norm_k.weight", "noise_refiner.0.adaLN_modulation.0.bias"}},
        {"text_encoder/model.safetensors", 35,
         {"model.embed_tokens.weight", "model.norm.weight", "model.layers.2.self_attn.q_proj.weight"}},
        {"vae/diffusion_pytorch_model.safetensors", 240,
         {"decoder.conv_out.weight", "encoder.conv_in.weight", "decoder.up_blocks.2.resnets.0.conv_shortcut.weight",
          "encoder.mid_block.attentions.0.to_q.weight"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        auto f = SafetensorsFile::open(model / c.file);
        EXPECT_EQ(f.tensors().size(), c.count);
        EXPECT_EQ(f.data_offset() % 8, 0u);
        EXPECT_EQ(f.metadata().at("format"), "pt");
        for (const auto& n : c.names) EXPECT_NE(f.find(n), nullptr) << n;
        auto hdr = SafetensorsFile::read_header(model / c.file);
        ASSERT_EQ(hdr.size(), f.tensors().size());
        for (size_t i = 0; i < hdr.size(); ++i) {
            EXPECT_EQ(hdr[i].name, f.tensors()[i].name);
            EXPECT_EQ(hdr[i].shape, f.tensors()[i].shape);
            EXPECT_EQ(hdr[i].begin, f.tensors()[i].begin);
        }
    }
    auto te = SafetensorsFile::open(model / "text_encoder/model.safetensors");
    const TensorInfo* emb = te.find("model.embed_tokens.weight");
    ASSERT_NE(emb, nullptr);
    EXPECT_EQ(emb->dtype, DType::BF16);
    EXPECT_EQ(emb->shape, (std::vector<int64_t>{151936, 64}));
    EXPECT_EQ(te.data(*emb).size(), size_t(151936) * 64 * 2);
}
