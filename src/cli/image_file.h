// Where `pictor run` saves a generated PNG and how: the reference's prompt-derived name
// (sanitize, 50 characters, -YYYYMMDD-HHMMSS.png), but never over an existing file
// (-1, -2, ... are added) and never half-written (temp file in the same directory, then an
// atomic no-replace rename).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace pictor::cli {

// The reference's sanitize: lowercase, spaces -> '-', drop everything but a-z 0-9 '-',
// then at most 50 characters.
std::string sanitize_prompt(std::string_view prompt);
// sanitize_prompt, or "image" when that has no letter or digit (the reference produced names
// like "-20260101-120000.png" for such prompts).
std::string image_stem(std::string_view prompt);
// Local time as YYYYMMDD-HHMMSS.
std::string file_timestamp(std::chrono::system_clock::time_point t);

// Saves `png`:
// - `output` empty: in the current directory as <stem>-<time>.png (relative path returned);
// - `output` an existing directory (or ending in '/'): the same name inside it;
// - otherwise `output` is the file to write, replaced atomically if it exists (the user named it).
// Default names never overwrite: "<stem>-<time>-1.png", "-2", ... when taken.
// Files are mode 0644. Error(Io, "failed to save image: ...") on failure.
std::filesystem::path save_image(std::string_view png, std::string_view prompt, const std::string& output,
                                 std::chrono::system_clock::time_point now);

// The two primitives, exposed for tests. write_new_file tries <stem><ext>, <stem>-1<ext>, ...
// and returns the path it created; write_file_replacing writes exactly `path`.
std::filesystem::path write_new_file(const std::filesystem::path& dir, const std::string& stem, const std::string& ext,
                                     std::string_view bytes);
void write_file_replacing(const std::filesystem::path& path, std::string_view bytes);

}  // namespace pictor::cli
