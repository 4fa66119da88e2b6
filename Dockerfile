# GorbLink: one NativeAOT binary in a minimal image.
# Base images are build arguments so the image can be built from local bases where no registry
# is reachable (tests/image/build-agent does that with debootstrap + docker import).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0

FROM ${SDK_IMAGE} AS build
# NativeAOT links with clang and needs zlib headers.
RUN if ! command -v clang >/dev/null; then apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*; fi
WORKDIR /src
COPY . .
RUN dotnet publish src/GorbLink -c Release -r linux-x64 -o /out -p:DebugType=none -p:StripSymbols=true

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/gorblink /usr/local/bin/gorblink
# Ownership and status of what the agent created; keep it across restarts of the container.
VOLUME /var/lib/gorblink
# Privileges needed, and nothing more:
#   --net=host                  IPVS state is per network namespace: the host's.
#   --cap-add=NET_ADMIN         every IPVS netlink command, reads included.
#   -v /var/run/docker.sock:/var/run/docker.sock:ro
# Works with --read-only: the only writes go to the /var/lib/gorblink volume.
ENTRYPOINT ["/usr/local/bin/gorblink"]
CMD ["run"]
