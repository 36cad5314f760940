// Text the CLI prints the way Ollama's CLI prints it: byte sizes (format.HumanBytes, decimal
// units), relative times (format.HumanTime), and borderless tables (tablewriter with
// four-space padding).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::cli {

// 999 -> "999 B", 1234567 -> "1.2 MB", 39000000 -> "39 MB", 2000000000 -> "2 GB".
std::string human_bytes(uint64_t n);
// "Less than a second ago", "2 minutes ago", "About an hour ago", "3 days ago"; future times
// end in "from now".
std::string human_time(std::chrono::system_clock::time_point t,
                       std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// Parses RFC 3339 ("2024-05-01T12:34:56.123+02:00", "...Z"); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);

// s without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim(std::string_view s);

// Columns padded to their widest cell and separated by four spaces; trailing spaces trimmed.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace pictor::cli
