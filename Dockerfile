# GorbLink: one NativeAOT binary in a small image.
#
#   docker build -t gorblink .                       # compiles in mcr.microsoft.com/dotnet/sdk:10.0
#   docker run -d --name gorblink --restart unless-stopped \
#     --net=host --cap-add=NET_ADMIN \
#     -v /var/run/docker.sock:/var/run/docker.sock:ro \
#     -v gorblink-state:/var/lib/gorblink --read-only \
#     gorblink run -i eth0
#
# Base images are build arguments, so the image can be built where no registry is reachable:
#   SDK_IMAGE      the build stage (default: the .NET 10 SDK image; clang is installed into it for NativeAOT)
#   RUNTIME_IMAGE  the final stage: any glibc Linux (default: .NET's runtime-deps image; the binary needs no .NET runtime)
#   PREBUILT       a gorblink binary in the build context, already made with
#                  `dotnet publish src/GorbLink -c Release -r linux-x64`: then nothing is compiled, and SDK_IMAGE can be
#                  any image with a shell (tests/image/build-agent does this with a local Debian made by debootstrap).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0

FROM ${SDK_IMAGE} AS build
ARG PREBUILT=
WORKDIR /src
COPY . .
# NativeAOT links with clang and needs zlib headers: installed when the SDK image lacks them.
RUN set -e; mkdir -p /out; \
    if [ -n "$PREBUILT" ]; then \
      cp "$PREBUILT" /out/gorblink; \
    else \
      if ! command -v clang >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*; \
      fi; \
      dotnet publish src/GorbLink -c Release -r linux-x64 -o /publish -p:DebugType=none && cp /publish/gorblink /out/gorblink; \
    fi; \
    chmod 0755 /out/gorblink; /out/gorblink --help >/dev/null

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/gorblink /usr/local/bin/gorblink
# What the agent created (state.json), the VIPs it added (vips.json) and its status (status.json); keep it across
# restarts of the container, or a new agent would not know what is its own.
VOLUME /var/lib/gorblink
WORKDIR /var/lib/gorblink
# Privileges needed, and nothing more:
#   --net=host                  IPVS state (and the VIPs of --vip-interface) are per network namespace: the host's.
#   --cap-add=NET_ADMIN         every IPVS netlink command (reads included) and rtnetlink address changes.
#   -v /var/run/docker.sock:/var/run/docker.sock:ro    the Engine API (events, list, inspect; nothing is written).
# Works with --read-only: the only writes go to the /var/lib/gorblink volume.
# --set-sysctls also needs a writable /proc/sys (--security-opt systempaths=unconfined); setting the three values on the
# host instead (deploy/sysctl.d/90-gorblink.conf) keeps the container confined.
# /metrics and /healthz only with --metrics-listen ADDR:PORT (e.g. 127.0.0.1:9100); then, for example:
#   HEALTHCHECK CMD wget -qO- http://127.0.0.1:9100/healthz || exit 1   (when the runtime image has wget)
ENTRYPOINT ["/usr/local/bin/gorblink"]
CMD ["run"]
