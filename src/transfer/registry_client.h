// The Docker Registry v2 calls that Ollama's model transfer uses (reference §3.9): manifests,
// blob existence, download and monolithic upload, for one repository `<ns>/<model>` on the
// name's host. Handles what real registries do on the way: a Bearer challenge (anonymous token
// from the realm it names), redirects of blob downloads to another host (followed by hand, at
// most 10, without our Authorization header when the host changes), and retries of requests
// that failed on the network.
//
// Errors: a registry that cannot be reached is Unavailable (503); "no such manifest" is
// NotFound; any other refusal is Unavailable with the registry's status and message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "store/names.h"
#include "transfer/url.h"

namespace pictor::transfer {

struct RegistryOptions {
    // Plain http (a local or private registry); without it a name that says http:// is refused.
    bool insecure = false;
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds read_timeout{60};  // no byte for this long: the attempt fails
    int attempts = 3;                       // per request, network errors only
};

class RegistryClient {
public:
    RegistryClient(const store::ModelName& name, RegistryOptions opts);

    const std::string& repository() const { return repository_; }  // "ns/model"
    std::string base_url() const { return base_.origin(); }

    // The manifest bytes of the name's tag, exactly as the registry sent them.
    std::string get_manifest();
    void put_manifest(std::string_view bytes, std::string_view media_type);

    // Streams a blob into `sink`; a sink that returns false stops the download (Cancelled).
    void get_blob(std::string_view digest, const std::function<bool(const char*, size_t)>& sink);
    bool has_blob(std::string_view digest);
    // Monolithic upload (POST an upload session, PUT the bytes with ?digest=). on_bytes gets
    // each chunk's size as it is sent and returns false to stop (Cancelled).
    void put_blob(std::string_view digest, const std::filesystem::path& file, uint64_t size,
                  const std::function<bool(uint64_t)>& on_bytes);

private:
    struct Call;
    struct Reply;
    Reply send(Call& call);
    Reply send_once(const Call& call, const std::string& auth);
    void authenticate(const std::string& challenge);
    std::string authorization() const;

    Url base_;                // scheme://host of the registry
    std::string repository_;  // ns/model
    std::string tag_;
    RegistryOptions opts_;
    mutable std::mutex token_mu_;
    std::string token_;       // Bearer token once a challenge was answered
};

}  // namespace pictor::transfer
