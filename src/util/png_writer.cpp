#include "util/png_writer.h"

#include <png.h>

#include <csetjmp>
#include <string>

#include "util/error.h"

namespace pictor {

namespace {

// libpng reports errors by longjmp. Jumping over C++ objects with destructors is undefined,
// so every libpng call happens in write_image() below, which owns no such objects; the
// C++ state it touches lives in this context, owned by the caller.
struct WriteContext {
    std::vector<uint8_t> out;
    std::string error;
};

void on_error(png_structp png, png_const_charp msg) {
    auto* ctx = static_cast<WriteContext*>(png_get_error_ptr(png));
    ctx->error = msg ? msg : "unknown libpng error";
    png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}  // warnings are not actionable for callers

void on_write(png_structp png, png_bytep data, png_size_t len) {
    auto* ctx = static_cast<WriteContext*>(png_get_io_ptr(png));
    ctx->out.insert(ctx->out.end(), data, data + len);
}
void on_flush(png_structp) {}

bool is_ascii(const std::string& s) {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

void check_key(const std::string& key) {
    if (key.empty() || key.size() > 79)
        fail(ErrorKind::InvalidArgument, "png: text key must be 1-79 characters: '" + key + "'");
    for (unsigned char c : key)
        if (c < 0x20 || c > 0x7e)
            fail(ErrorKind::InvalidArgument, "png: text key must be printable ASCII: '" + key + "'");
}

// No C++ objects with non-trivial destructors may be created in here (see WriteContext).
bool write_image(png_structp png, png_infop info, const uint8_t* pixels, int width, int height, int channels,
                 png_text* texts, int ntexts, png_bytep* rows) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8,
                 channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 1);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    if (ntexts > 0) png_set_text(png, info, texts, ntexts);
    png_write_info(png, info);
    const size_t stride = size_t(width) * size_t(channels);
    for (int y = 0; y < height; ++y) rows[y] = const_cast<png_bytep>(pixels + size_t(y) * stride);
    png_write_image(png, rows);
    png_write_end(png, nullptr);
    return true;
}

}  // namespace

std::vector<uint8_t> encode_png(const uint8_t* pixels, int width, int height, int channels,
                                const std::vector<PngText>& text) {
    if (channels != 3 && channels != 4) fail(ErrorKind::InvalidArgument, "png: channels must be 3 or 4");
    if (width <= 0 || height <= 0 || width > 1'000'000 || height > 1'000'000)
        fail(ErrorKind::InvalidArgument, "png: bad image size");

    std::vector<png_text> texts(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        check_key(text[i].key);
        png_text& t = texts[i];
        t = png_text{};
        t.key = const_cast<char*>(text[i].key.c_str());
        t.text = const_cast<char*>(text[i].value.c_str());
        if (is_ascii(text[i].value)) {
            t.compression = PNG_TEXT_COMPRESSION_NONE;
            t.text_length = text[i].value.size();
        } else {
            t.compression = PNG_ITXT_COMPRESSION_NONE;
            t.itxt_length = text[i].value.size();
            t.lang = const_cast<char*>("");
            t.lang_key = const_cast<char*>("");
        }
    }
    std::vector<png_bytep> rows(static_cast<size_t>(height));

    WriteContext ctx;
    ctx.out.reserve(size_t(width) * size_t(height) * size_t(channels) / 2 + 1024);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    if (!png) fail(ErrorKind::Internal, "png: cannot create write struct");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, nullptr);
        fail(ErrorKind::Internal, "png: cannot create info struct");
    }
    png_set_write_fn(png, &ctx, on_write, on_flush);
    const bool ok = write_image(png, info, pixels, width, height, channels, texts.data(), int(texts.size()),
                                rows.data());
    png_destroy_write_struct(&png, &info);
    if (!ok) fail(ErrorKind::Internal, "png: encode failed: " + ctx.error);
    return std::move(ctx.out);
}

}  // namespace pictor
