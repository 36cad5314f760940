#include "store/digest.h"

#include <gtest/gtest.h>

#include <cctype>
#include <vector>

#include "util/error.h"

using namespace pictor::store;

namespace {

const std::string kHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Digest, Validation) {
    EXPECT_TRUE(is_valid_digest("sha256:" + kHex));
    EXPECT_TRUE(is_valid_digest("sha256-" + kHex));
    std::string upper = kHex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(is_valid_digest("sha256:" + upper));

    const std::vector<std::string> bads = {std::string(""), "sha256:", "sha256:" + kHex.substr(1), "sha256:" + kHex + "0",
                                   "sha512:" + kHex, "SHA256:" + kHex, "sha256_" + kHex, "sha256" + kHex,
                                   " sha256:" + kHex, "sha256:" + kHex + "\n", "sha256:" + kHex.substr(1) + "g",
                                   "sha256:../../../../../../../../../../../../../../../../../../../../etc/pa",
                                   std::string("sha256:") + std::string(63, 'a') + '\0'};
    for (const std::string& bad : bads) {
        EXPECT_FALSE(is_valid_digest(bad)) << bad;
        try {
            normalize_digest(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const pictor::Error& e) {
            EXPECT_EQ(e.kind(), pictor::ErrorKind::InvalidArgument);
            EXPECT_EQ(std::string(e.what()), "invalid digest format");
        }
        EXPECT_THROW(digest_file_name(bad), pictor::Error);
    }
}

TEST(Digest, NormalForms) {
    std::string upper = kHex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(normalize_digest("sha256-" + upper), "sha256:" + kHex);
    EXPECT_EQ(digest_file_name("sha256:" + upper), "sha256-" + kHex);
    EXPECT_EQ(digest_from_hex(kHex), "sha256:" + kHex);
}

}  // namespace
