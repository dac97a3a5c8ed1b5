#!/usr/bin/env bash
# mkimage-oci.sh LAYER_TAR IMAGE_NAME OUT_TAR [CONFIG_JSON]: a single-layer OCI
# image archive (oci-layout, index.json, blobs/sha256) of the root filesystem in
# LAYER_TAR, for `ctr image import`. CONFIG_JSON is the image's run config
# (default {"Cmd":["/bin/sh"]}), e.g. {"Entrypoint":["/bin/workload"],"Cmd":["exit","0"]}. Built by hand with tar, sha256sum and jq
# because the tests may not reach any registry and Debian 12 ships no image
# builder that writes OCI archives without one.
set -euo pipefail
usage='usage: mkimage-oci.sh LAYER_TAR IMAGE_NAME OUT_TAR [CONFIG_JSON] (e.g. rootfs.tar localhost/demo:latest image.tar)'
[ $# -eq 3 ] || [ $# -eq 4 ] || { echo "mkimage-oci: $usage" >&2; exit 2; }
layer=$1 name=$2 out=$3 run_config=${4:-'{"Cmd":["/bin/sh"]}'}
[ -f "$layer" ] || { echo "mkimage-oci: layer tar '$layer' not found" >&2; exit 1; }
tar -tf "$layer" >/dev/null 2>&1 || { echo "mkimage-oci: '$layer' is not a tar archive" >&2; exit 1; }
# containerd takes the image name from this annotation; its tag must be explicit.
[[ $name =~ ^[a-z0-9._/-]+:[A-Za-z0-9_.-]+$ ]] || { echo "mkimage-oci: image name '$name' must be repo:tag (lower-case repo)" >&2; exit 1; }
jq -e 'type == "object"' <<<"$run_config" >/dev/null 2>&1 || { echo "mkimage-oci: config '$run_config' is not a JSON object" >&2; exit 1; }
[ -d "$(dirname "$out")" ] || { echo "mkimage-oci: directory of '$out' does not exist" >&2; exit 1; }

work=$(mktemp -d "$out.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

# blob FILE: store FILE under its digest; print "DIGEST SIZE".
blob() {
	local digest size
	digest=$(sha256sum "$1" | cut -d' ' -f1)
	size=$(stat -c %s "$1")
	mv "$1" "$work/blobs/sha256/$digest"
	echo "sha256:$digest $size"
}

# An uncompressed layer: its digest is also its diff_id.
cp "$layer" "$work/layer"
read -r layer_digest layer_size < <(blob "$work/layer")

jq -n --arg diff "$layer_digest" --argjson run "$run_config" '{
	architecture: "amd64", os: "linux",
	config: ({ Env: ["PATH=/bin"] } + $run),
	rootfs: { type: "layers", diff_ids: [$diff] },
	history: [{ created_by: "runc-trace test/clients/mkimage-oci.sh" }]
}' >"$work/config"
read -r config_digest config_size < <(blob "$work/config")

jq -n --arg cd "$config_digest" --argjson cs "$config_size" --arg ld "$layer_digest" --argjson ls "$layer_size" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs },
	layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls }]
}' >"$work/manifest"
read -r manifest_digest manifest_size < <(blob "$work/manifest")

jq -n --arg md "$manifest_digest" --argjson ms "$manifest_size" --arg name "$name" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [{
		mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
		annotations: { "io.containerd.image.name": $name, "org.opencontainers.image.ref.name": ($name | sub("^.*:"; "")) }
	}]
}' >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"

tar -C "$work" -cf "$out.new" oci-layout index.json blobs
mv "$out.new" "$out"
