#include "transfer/registry_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace pictor::transfer {

struct RegistryClient::Call {
    std::string method;  // GET, HEAD, POST or PUT
    Url url;
    httplib::Headers headers;
    std::string body;                                 // POST/PUT body when no file
    std::string content_type;
    const std::filesystem::path* file = nullptr;      // PUT body from a file
    uint64_t file_size = 0;
    std::function<bool(uint64_t)> on_bytes;           // upload progress; false stops
    std::function<bool(const char*, size_t)> sink;    // a 200 GET body goes here, not to Reply::body
    bool follow_redirects = false;
    std::string what;                                 // "pull model manifest", for messages
};

struct RegistryClient::Reply {
    int status = 0;
    httplib::Headers headers;
    std::string body;  // error bodies, manifests, tokens
    std::string header(const char* key) const {
        auto it = headers.find(key);
        return it == headers.end() ? std::string() : it->second;
    }
};

namespace {

bool is_redirect(int status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

// The registry's own words for a refusal: the first message of its {"errors":[...]} body, else
// the body's start.
std::string registry_message(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
        const auto& e = j["errors"][0];
        std::string code = e.value("code", ""), message = e.value("message", "");
        for (char& c : code) c = char(std::tolower(static_cast<unsigned char>(c)));
        if (!code.empty() && !message.empty()) return code + ": " + message;
        if (!message.empty()) return message;
    }
    std::string s = body.substr(0, 200);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

// WWW-Authenticate: Bearer realm="...",service="...",scope="..."
std::string challenge_param(const std::string& challenge, const std::string& key) {
    const std::string k = key + "=\"";
    const size_t at = challenge.find(k);
    if (at == std::string::npos) return "";
    const size_t start = at + k.size(), end = challenge.find('"', start);
    return end == std::string::npos ? "" : challenge.substr(start, end - start);
}

// httplib's error names ("Connection", "SSLConnection") in words a user can act on.
std::string describe(httplib::Error e, const Url& url) {
    switch (e) {
        case httplib::Error::Connection: return "could not connect";
        case httplib::Error::ConnectionTimeout: return "connection timed out";
        case httplib::Error::Read: return "the connection broke while reading";
        case httplib::Error::Write: return "the connection broke while sending";
        case httplib::Error::SSLConnection:
            return url.scheme == "https" ? "TLS handshake failed; a registry that speaks plain http needs --insecure"
                                         : "TLS handshake failed";
        case httplib::Error::SSLServerVerification: return "its TLS certificate could not be verified";
        case httplib::Error::SSLLoadingCerts: return "the system's CA certificates could not be loaded";
        default: return httplib::to_string(e);
    }
}

std::string url_escape(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += char(c);
        else out += {'%', hex[c >> 4], hex[c & 15]};
    }
    return out;
}

}  // namespace

RegistryClient::RegistryClient(const store::ModelName& name, RegistryOptions opts) : opts_(opts) {
    if (!name.valid()) fail(ErrorKind::InvalidArgument, "invalid model name: " + name.full());
    std::string scheme = name.scheme.empty() ? "https" : name.scheme;
    if (scheme == "http" && !opts_.insecure) fail(ErrorKind::InvalidArgument, "insecure protocol http");
    if (opts_.insecure) scheme = "http";
    base_ = Url::parse(scheme + "://" + name.host);
    repository_ = name.ns + "/" + name.model;
    tag_ = name.tag;
}

std::string RegistryClient::authorization() const {
    std::lock_guard lock(token_mu_);
    return token_.empty() ? std::string() : "Bearer " + token_;
}

// Answers a Bearer challenge the way Docker clients do without credentials: GET the realm with
// the service and scope it names, and keep the token it returns for the following requests.
void RegistryClient::authenticate(const std::string& challenge) {
    if (challenge.rfind("Bearer ", 0) != 0)
        fail(ErrorKind::Unavailable, base_.host + " asks for credentials (" + challenge.substr(0, 40) +
                                         "), which pictor cannot provide");
    const std::string realm = challenge_param(challenge, "realm");
    if (realm.empty()) fail(ErrorKind::Unavailable, base_.host + " sent a Bearer challenge without a realm");
    Url token_url = Url::parse(realm);
    if (const std::string service = challenge_param(challenge, "service"); !service.empty())
        token_url = token_url.with_query("service", url_escape(service));
    if (const std::string scope = challenge_param(challenge, "scope"); !scope.empty())
        token_url = token_url.with_query("scope", url_escape(scope));
    Call call;
    call.method = "GET";
    call.url = token_url;
    call.what = "authenticate with " + base_.host;
    const Reply r = send_once(call, "");
    if (r.status != 200)
        fail(ErrorKind::Unavailable, call.what + ": " + std::to_string(r.status) + " " + registry_message(r.body));
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string token;
    if (j.is_object()) token = j.value("token", j.value("access_token", ""));
    if (token.empty()) fail(ErrorKind::Unavailable, call.what + ": the token service sent no token");
    std::lock_guard lock(token_mu_);
    token_ = token;
}

RegistryClient::Reply RegistryClient::send_once(const Call& call, const std::string& auth) {
    httplib::Client http(call.url.origin());
    if (!http.is_valid()) fail(ErrorKind::InvalidArgument, "cannot talk to " + call.url.origin());
    http.set_connection_timeout(opts_.connect_timeout);
    http.set_read_timeout(opts_.read_timeout);
    http.set_write_timeout(opts_.read_timeout);
    http.set_keep_alive(false);
    httplib::Headers headers = call.headers;
    headers.emplace("User-Agent", "pictor-transfer/1.0");
    if (!auth.empty()) headers.emplace("Authorization", auth);

    Reply reply;
    bool stopped = false;  // our sink or progress callback said stop
    httplib::Result result{nullptr, httplib::Error::Unknown};
    if (call.method == "GET") {
        result = http.Get(
            call.url.target, headers,
            [&](const httplib::Response& r) {
                reply.status = r.status;
                reply.headers = r.headers;
                return true;
            },
            [&](const char* data, size_t n) {
                if (reply.status == 200 && call.sink) {
                    if (!call.sink(data, n)) stopped = true;
                    return !stopped;
                }
                if (reply.body.size() < (1u << 20)) reply.body.append(data, n);  // manifests, errors
                return true;
            });
    } else if (call.method == "HEAD") {
        result = http.Head(call.url.target, headers);
    } else if (call.method == "POST") {
        result = http.Post(call.url.target, headers, call.body, call.content_type);
    } else if (call.method == "PUT" && call.file && call.file_size > 0) {
        const int fd = ::open(call.file->c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail(ErrorKind::Io, "cannot open " + call.file->string());
        struct Closer {
            int fd;
            ~Closer() { ::close(fd); }
        } closer{fd};
        std::vector<char> buf(256 << 10);
        result = http.Put(
            call.url.target, headers, size_t(call.file_size),
            [&](size_t offset, size_t length, httplib::DataSink& sink) {
                const ssize_t n = ::pread(fd, buf.data(), std::min(length, buf.size()), off_t(offset));
                if (n <= 0) return false;  // the file shrank under us: the upload fails
                if (!sink.write(buf.data(), size_t(n))) return false;
                if (call.on_bytes && !call.on_bytes(uint64_t(n))) {
                    stopped = true;
                    return false;
                }
                return true;
            },
            call.content_type);
    } else if (call.method == "PUT") {
        result = http.Put(call.url.target, headers, call.body, call.content_type);
    } else {
        fail(ErrorKind::Internal, "unsupported registry method " + call.method);
    }
    if (stopped) fail(ErrorKind::Cancelled, call.what + ": cancelled");
    if (!result) {
        if (reply.status != 0 && result.error() == httplib::Error::Canceled) return reply;
        fail(ErrorKind::Unavailable,
             call.what + ": cannot reach " + call.url.origin() + " (" + describe(result.error(), call.url) + ")");
    }
    if (call.method != "GET") {
        reply.status = result->status;
        reply.headers = result->headers;
        reply.body = result->body;
    }
    return reply;
}

RegistryClient::Reply RegistryClient::send(Call& call) {
    const bool retryable = !call.sink && !call.file;  // streamed calls are retried by their callers
    bool answered_challenge = false;
    for (int hop = 0; hop <= 10; ++hop) {
        const std::string auth = call.url.origin() == base_.origin() ? authorization() : std::string();
        Reply r;
        for (int attempt = 1;; ++attempt) {
            try {
                r = send_once(call, auth);
                break;
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::Unavailable || !retryable || attempt >= opts_.attempts) throw;
                std::this_thread::sleep_for(std::chrono::milliseconds(250 << attempt));
            }
        }
        if (r.status == 401 && !answered_challenge && !r.header("WWW-Authenticate").empty()) {
            authenticate(r.header("WWW-Authenticate"));
            answered_challenge = true;
            continue;
        }
        if (call.follow_redirects && is_redirect(r.status) && !r.header("Location").empty()) {
            call.url = call.url.resolve(r.header("Location"));
            continue;
        }
        return r;
    }
    fail(ErrorKind::Unavailable, call.what + ": too many redirects");
}

std::string RegistryClient::get_manifest() {
    Call call;
    call.method = "GET";
    call.url = base_.resolve("/v2/" + repository_ + "/manifests/" + tag_);
    call.headers.emplace("Accept", "application/vnd.docker.distribution.manifest.v2+json");
    call.follow_redirects = true;
    call.what = "pull model manifest";
    const Reply r = send(call);
    if (r.status == 404) fail(ErrorKind::NotFound, "pull model manifest: file does not exist");
    if (r.status != 200)
        fail(ErrorKind::Unavailable, "pull model manifest: " + std::to_string(r.status) + " " + registry_message(r.body));
    return r.body;
}

void RegistryClient::put_manifest(std::string_view bytes, std::string_view media_type) {
    Call call;
    call.method = "PUT";
    call.url = base_.resolve("/v2/" + repository_ + "/manifests/" + tag_);
    call.body = std::string(bytes);
    call.content_type = std::string(media_type);
    call.what = "push model manifest";
    const Reply r = send(call);
    if (r.status != 200 && r.status != 201)
        fail(ErrorKind::Unavailable, "push model manifest: " + std::to_string(r.status) + " " + registry_message(r.body));
}

void RegistryClient::get_blob(std::string_view digest, const std::function<bool(const char*, size_t)>& sink) {
    Call call;
    call.method = "GET";
    call.url = base_.resolve("/v2/" + repository_ + "/blobs/" + std::string(digest));
    call.sink = sink;
    call.follow_redirects = true;
    call.what = "pull " + std::string(digest);
    const Reply r = send(call);
    if (r.status == 404) fail(ErrorKind::NotFound, call.what + ": the registry does not have this blob");
    if (r.status != 200)
        fail(ErrorKind::Unavailable, call.what + ": " + std::to_string(r.status) + " " + registry_message(r.body));
}

bool RegistryClient::has_blob(std::string_view digest) {
    Call call;
    call.method = "HEAD";
    call.url = base_.resolve("/v2/" + repository_ + "/blobs/" + std::string(digest));
    call.follow_redirects = true;
    call.what = "check " + std::string(digest);
    const Reply r = send(call);
    if (r.status == 200) return true;
    if (r.status == 404) return false;
    fail(ErrorKind::Unavailable, call.what + ": " + std::to_string(r.status));
}

void RegistryClient::put_blob(std::string_view digest, const std::filesystem::path& file, uint64_t size,
                              const std::function<bool(uint64_t)>& on_bytes) {
    Call start;
    start.method = "POST";
    start.url = base_.resolve("/v2/" + repository_ + "/blobs/uploads/");
    start.content_type = "application/octet-stream";
    start.what = "push " + std::string(digest);
    const Reply session = send(start);
    if (session.status == 201) {  // the registry has it already
        if (on_bytes) on_bytes(size);
        return;
    }
    std::string location = session.header("Docker-Upload-Location");
    if (location.empty()) location = session.header("Location");
    if (session.status != 202 || location.empty())
        fail(ErrorKind::Unavailable, start.what + ": upload not started (" + std::to_string(session.status) + " " +
                                         registry_message(session.body) + ")");
    Call put;
    put.method = "PUT";
    put.url = start.url.resolve(location).with_query("digest", url_escape(std::string(digest)));
    put.file = &file;
    put.file_size = size;
    put.on_bytes = on_bytes;
    put.content_type = "application/octet-stream";
    put.what = start.what;
    const Reply r = send(put);
    if (r.status != 201 && r.status != 202 && r.status != 204)
        fail(ErrorKind::Unavailable, put.what + ": " + std::to_string(r.status) + " " + registry_message(r.body));
}

}  // namespace pictor::transfer
