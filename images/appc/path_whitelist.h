// AppC's pathWhitelist on a layered root: a generated layer of overlay whiteouts that
// hides every path of the layers below that the whitelist does not keep. A whitelisted
// path keeps itself, everything beneath it and its parent directories (whose owner and mode
// are copied from the layers below, so the merged root keeps them). It never mounts.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "images/snapshot/snapshotter.h"

namespace berth::images::appc {

// The whiteout layer for `whitelist` (absolute paths) over `below` (bottom first), which
// are unpacked through `snapshots` first to see what they hold.
Result<LayerSource> whitelist_layer(Snapshotter& snapshots, const std::vector<LayerSource>& below,
                                    const std::vector<std::string>& whitelist);

}  // namespace berth::images::appc
