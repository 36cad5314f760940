// Writes one source tensor as one blob (reference §3.6): a complete safetensors file whose single
// key is the original tensor name, followed by the source bytes verbatim; or, when quantizing,
// the fp8 weight and its per-row `.scale` in one blob with {"quant_type":"fp8"} metadata.
#pragma once

#include <cstdint>
#include <functional>
#include <set>

#include "store/blob_store.h"
#include "store/safetensors.h"

namespace pictor::create {

// Sizes of the blobs already in the store. A tensor blob whose size matches none of them is
// certainly new and is written in one pass; otherwise it is hashed first and, when the blob
// exists, not written at all (re-imports and models sharing a VAE/text encoder cost a read, not
// a write + fsync).
using ExistingSizes = std::set<uint64_t>;
ExistingSizes scan_blob_sizes(const store::BlobStore& blobs);

// `on_bytes(n)` is called as source bytes are consumed (for progress), from the calling thread.
store::BlobRef write_tensor_blob(const store::BlobStore& blobs, const store::SafetensorsFile& file,
                                 const store::TensorInfo& tensor, bool quantize_fp8, const ExistingSizes& existing,
                                 const std::function<void(uint64_t)>& on_bytes);

}  // namespace pictor::create
