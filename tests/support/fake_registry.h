// An in-memory Docker Registry v2 on 127.0.0.1 for the transfer tests: the endpoints pull and
// push use (manifests, blob HEAD/GET, POST upload session + monolithic PUT with ?digest=),
// checked the way a real registry checks them (an uploaded blob must hash to its digest, a
// manifest may only name blobs the registry has), plus switches for what real registries and
// networks do to clients: a Bearer challenge, blob downloads redirected to another host, a
// damaged or short blob, a transient 503.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <httplib.h>

#include "util/sha256.h"

namespace pictor::test {

class FakeRegistry {
public:
    struct Options {
        bool require_token = false;    // 401 + WWW-Authenticate: Bearer until a token is sent
        bool redirect_blobs = false;   // blob GETs answer 307 to http://localhost:<port>/cdn/...
        std::string corrupt_digest;    // this blob is served with one byte flipped
        std::string short_digest;      // this blob is served without its last byte
        int fail_first_blob_gets = 0;  // the first N blob GETs answer 503
    };

    FakeRegistry() : FakeRegistry(Options()) {}
    explicit FakeRegistry(Options o) : opts_(std::move(o)) {
        auto& s = server_;
        s.Get("/v2/", [](const httplib::Request&, httplib::Response& res) { res.set_content("{}", "application/json"); });
        s.Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
            ++token_requests;
            last_token_scope = req.get_param_value("scope");
            res.set_content(R"({"token":"t0ken"})", "application/json");
        });
        s.Get(R"(/v2/(.+)/manifests/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
            if (!authorized(req, res)) return;
            std::lock_guard lock(mu_);
            auto it = manifests_.find(req.matches[1].str() + ":" + req.matches[2].str());
            if (it == manifests_.end()) return error(res, 404, "MANIFEST_UNKNOWN", "manifest unknown");
            res.set_content(it->second.first, it->second.second);
        });
        s.Put(R"(/v2/(.+)/manifests/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
            if (!authorized(req, res)) return;
            std::lock_guard lock(mu_);
            // A real registry refuses a manifest that names a blob it does not hold.
            for (const std::string& d : referenced_digests(req.body))
                if (!blobs_.count(d)) return error(res, 400, "BLOB_UNKNOWN", "blob unknown to registry: " + d);
            manifests_[req.matches[1].str() + ":" + req.matches[2].str()] = {req.body,
                                                                           req.get_header_value("Content-Type")};
            res.status = 201;
        });
        s.Get(R"(/v2/(.+)/blobs/(sha256:[0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
            if (!authorized(req, res)) return;
            const std::string digest = req.matches[2].str();
            std::string body;
            {
                std::lock_guard lock(mu_);
                auto it = blobs_.find(digest);
                if (it == blobs_.end()) return error(res, 404, "BLOB_UNKNOWN", "blob unknown to registry");
                body = it->second;
            }
            if (req.method == "HEAD") {
                ++blob_heads;
                res.set_header("Content-Length", std::to_string(body.size()));
                res.status = 200;
                return;
            }
            ++blob_gets;
            if (blob_gets <= opts_.fail_first_blob_gets) return error(res, 503, "UNAVAILABLE", "try again");
            if (opts_.redirect_blobs) {
                res.set_redirect("http://localhost:" + std::to_string(port_) + "/cdn/" + digest, 307);
                return;
            }
            res.set_content(damage(digest, std::move(body)), "application/octet-stream");
        });
        // The "CDN" a redirect points at: a different host name, which must not get our token.
        s.Get(R"(/cdn/(sha256:[0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
            if (req.has_header("Authorization")) ++cdn_requests_with_auth;
            ++cdn_requests;
            std::lock_guard lock(mu_);
            auto it = blobs_.find(req.matches[1].str());
            if (it == blobs_.end()) return error(res, 404, "BLOB_UNKNOWN", "blob unknown");
            res.set_content(damage(it->first, it->second), "application/octet-stream");
        });
        s.Post(R"(/v2/(.+)/blobs/uploads/)", [this](const httplib::Request& req, httplib::Response& res) {
            if (!authorized(req, res)) return;
            const std::string id = "u" + std::to_string(++upload_sessions);
            res.set_header("Location", "/v2/" + req.matches[1].str() + "/blobs/uploads/" + id + "?_state=x");
            res.status = 202;
        });
        s.Put(R"(/v2/(.+)/blobs/uploads/([^/?]+))", [this](const httplib::Request& req, httplib::Response& res) {
            if (!authorized(req, res)) return;
            const std::string digest = req.get_param_value("digest");
            if (req.get_param_value("_state") != "x") return error(res, 400, "BLOB_UPLOAD_INVALID", "state lost");
            if ("sha256:" + Sha256::hex_of(req.body) != digest)
                return error(res, 400, "DIGEST_INVALID", "provided digest did not match uploaded content");
            ++blob_puts;
            std::lock_guard lock(mu_);
            blobs_[digest] = req.body;
            res.status = 201;
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~FakeRegistry() {
        server_.stop();
        if (thread_.joinable()) thread_.join();
    }
    FakeRegistry(const FakeRegistry&) = delete;
    FakeRegistry& operator=(const FakeRegistry&) = delete;

    int port() const { return port_; }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    bool has_blob(const std::string& digest) {
        std::lock_guard lock(mu_);
        return blobs_.count(digest) != 0;
    }
    std::string manifest(const std::string& repo_tag) {
        std::lock_guard lock(mu_);
        auto it = manifests_.find(repo_tag);
        return it == manifests_.end() ? std::string() : it->second.first;
    }
    size_t blob_count() {
        std::lock_guard lock(mu_);
        return blobs_.size();
    }

    std::atomic<int> blob_gets{0}, blob_heads{0}, blob_puts{0}, upload_sessions{0};
    std::atomic<int> token_requests{0}, cdn_requests{0}, cdn_requests_with_auth{0};
    std::string last_token_scope;

private:
    static void error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
        res.status = status;
        res.set_content(R"({"errors":[{"code":")" + code + R"(","message":")" + message + R"("}]})",
                        "application/json");
    }
    bool authorized(const httplib::Request& req, httplib::Response& res) {
        if (!opts_.require_token || req.get_header_value("Authorization") == "Bearer t0ken") return true;
        res.set_header("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:" + std::to_string(port_) +
                                               "/token\",service=\"fake\",scope=\"repository:x:pull,push\"");
        error(res, 401, "UNAUTHORIZED", "authentication required");
        return false;
    }
    std::string damage(const std::string& digest, std::string body) const {
        if (digest == opts_.corrupt_digest && !body.empty()) body[body.size() / 2] ^= 0x55;
        if (digest == opts_.short_digest && !body.empty()) body.pop_back();
        return body;
    }
    static std::set<std::string> referenced_digests(const std::string& manifest) {
        std::set<std::string> out;
        for (size_t at = manifest.find("sha256:"); at != std::string::npos; at = manifest.find("sha256:", at + 1))
            out.insert(manifest.substr(at, 71));
        return out;
    }

    Options opts_;
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mu_;
    std::map<std::string, std::string> blobs_;                              // digest -> bytes
    std::map<std::string, std::pair<std::string, std::string>> manifests_;  // repo:tag -> bytes, type
};

}  // namespace pictor::test
