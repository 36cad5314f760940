#include "create/config_blob.h"

#include <nlohmann/json.hpp>

namespace pictor::create {

std::string make_config_blob(std::string_view file_type, std::string_view pipeline_class) {
    nlohmann::ordered_json caps = nlohmann::ordered_json::array({"image"});
    if (pipeline_class == "Flux2KleinPipeline") caps.push_back("vision");
    nlohmann::ordered_json j;
    j["model_format"] = "safetensors";
    j["model_family"] = "";
    j["model_families"] = nullptr;
    j["model_type"] = "";
    j["file_type"] = std::string(file_type);
    j["requires"] = "0.19.0";
    j["capabilities"] = std::move(caps);
    j["architecture"] = "";
    j["os"] = "";
    j["rootfs"] = {{"type", ""}, {"diff_ids", nullptr}};
    return j.dump();
}

}  // namespace pictor::create
