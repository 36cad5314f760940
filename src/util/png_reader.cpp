#include "util/png_reader.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <fstream>
#include <iterator>

#include "util/error.h"

namespace pictor {

namespace {

// Same longjmp discipline as the writer: read_image() creates no C++ objects with
// destructors; everything it fills lives in this caller-owned context.
struct ReadContext {
    const uint8_t* data = nullptr;
    size_t size = 0;
    size_t pos = 0;
    std::string error;
    std::vector<uint8_t> rgb;
    std::vector<png_bytep> rows;
    int width = 0, height = 0;
    bool had_alpha = false;
};

void on_read_error(png_structp png, png_const_charp msg) {
    auto* ctx = static_cast<ReadContext*>(png_get_error_ptr(png));
    ctx->error = msg ? msg : "unknown libpng error";
    png_longjmp(png, 1);
}
void on_read_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, png_size_t len) {
    auto* ctx = static_cast<ReadContext*>(png_get_io_ptr(png));
    if (ctx->size - ctx->pos < len) png_error(png, "unexpected end of data");
    std::memcpy(out, ctx->data + ctx->pos, len);
    ctx->pos += len;
}

// Holds only trivially destructible locals, so a longjmp back to its setjmp skips no
// destructor; the vectors it fills belong to the caller's context and are cleaned up there.
bool read_image(png_structp png, png_infop info, png_infop end_info, ReadContext* ctx) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_read_info(png, info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &color, nullptr, nullptr, nullptr);
    if (w == 0 || h == 0 || w > 1'000'000 || h > 1'000'000 || uint64_t(w) * h > (uint64_t(1) << 31))
        png_error(png, "image size out of range");
    // Normalise every colour type and depth to 8-bit RGB.
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_tRNS_to_alpha(png);
        ctx->had_alpha = true;
    }
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (color & PNG_COLOR_MASK_ALPHA) ctx->had_alpha = true;
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != size_t(w) * 3) png_error(png, "unexpected row size after transforms");
    ctx->width = int(w);
    ctx->height = int(h);
    ctx->rgb.resize(size_t(w) * h * 3);
    ctx->rows.resize(h);
    for (png_uint_32 y = 0; y < h; ++y) ctx->rows[y] = ctx->rgb.data() + size_t(y) * w * 3;
    png_read_image(png, ctx->rows.data());
    png_read_end(png, end_info);
    return true;
}

void collect_text(png_structp png, png_infop info, std::vector<PngText>& out) {
    png_textp texts = nullptr;
    int n = 0;
    png_get_text(png, info, &texts, &n);
    for (int i = 0; i < n; ++i) {
        const png_text& t = texts[i];
        const size_t len = t.compression >= PNG_ITXT_COMPRESSION_NONE ? t.itxt_length : t.text_length;
        out.push_back(PngText{t.key ? t.key : "", t.text ? std::string(t.text, len) : std::string()});
    }
}

}  // namespace

const std::string* DecodedPng::find_text(const std::string& key) const {
    for (const PngText& t : text)
        if (t.key == key) return &t.value;
    return nullptr;
}

DecodedPng decode_png(const uint8_t* data, size_t size) {
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) fail(ErrorKind::Corrupt, "png: not a PNG file");
    ReadContext ctx;
    ctx.data = data;
    ctx.size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_read_error, on_read_warning);
    if (!png) fail(ErrorKind::Internal, "png: cannot create read struct");
    png_infop info = png_create_info_struct(png);
    png_infop end_info = info ? png_create_info_struct(png) : nullptr;
    if (!info || !end_info) {
        png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
        fail(ErrorKind::Internal, "png: cannot create info struct");
    }
    png_set_read_fn(png, &ctx, on_read);
    const bool ok = read_image(png, info, end_info, &ctx);
    DecodedPng out;
    if (ok) {
        // Text may come before or after the pixel data; libpng files them in the two infos.
        collect_text(png, info, out.text);
        collect_text(png, end_info, out.text);
    }
    png_destroy_read_struct(&png, &info, &end_info);
    if (!ok) fail(ErrorKind::Corrupt, "png: decode failed: " + ctx.error);
    out.width = ctx.width;
    out.height = ctx.height;
    out.had_alpha = ctx.had_alpha;
    out.rgb = std::move(ctx.rgb);
    return out;
}

DecodedPng read_png_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(ErrorKind::NotFound, "png: cannot open " + path);
    std::vector<uint8_t> buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f.bad()) fail(ErrorKind::Io, "png: read error on " + path);
    return decode_png(buf.data(), buf.size());
}

}  // namespace pictor
