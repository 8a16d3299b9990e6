#!/bin/bash
# The CLI reaches ppcsd only: ppcs-cluster must link neither the Docker client (Beast, EngineClient)
# nor the modules that speak to the engine (docker, image, cluster, jobs, the API server). (Boost.Asio
# may appear: Boost.Process, which starts ppcsd, uses it.)
#   check_cli_links.sh PPCS_CLUSTER_BINARY [LINK_COMMAND_FILE]
set -u
binary=$1
link_file=${2:-}
failed=0

symbols=$(nm -C "$binary") || { echo "nm failed on $binary"; exit 1; }
# A positive control: the check must see the CLI's own code, or an empty symbol list would pass.
grep -q 'ppcs::api::ApiClient' <<<"$symbols" || { echo "no ppcs::api::ApiClient symbol in $binary: wrong file?"; exit 1; }
forbidden='boost::beast|ppcs::docker::|ppcs::image::|ppcs::cluster::|ppcs::jobs::|ppcs::api::ApiServer|sqlite3_'
if found=$(grep -E "$forbidden" <<<"$symbols" | head -5) && [ -n "$found" ]; then
    echo "$binary contains engine-side code:"
    echo "$found"
    failed=1
fi

if [ -n "$link_file" ]; then
    [ -f "$link_file" ] || { echo "no link command at $link_file"; exit 1; }
    if libraries=$(grep -o -E 'libppcs_(docker|image|cluster|jobs|api)\.a' "$link_file") && [ -n "$libraries" ]; then
        echo "ppcs-cluster's link line names: $libraries"
        failed=1
    fi
fi
[ $failed -eq 0 ] && echo "ppcs-cluster links the model and the API client only"
exit $failed
