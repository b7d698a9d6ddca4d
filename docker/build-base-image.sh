#!/bin/sh
# Builds a small Java runtime base image locally, for machines that cannot pull
# eclipse-temurin:21-jre (no Docker Hub access). The result is a Debian 12 "minbase" root
# file system plus a jlink-trimmed runtime of the host's JDK (21 or newer) at /opt/java,
# imported into Docker as registry-jre-base:local. Use it with
#
#   docker build -f docker/Dockerfile --build-arg JRE_IMAGE=registry-jre-base:local -t registry-server:local .
#
# Needs root (debootstrap), a Docker engine, a Debian mirror and a JDK >= 21 with jlink.
# Settings (environment variables):
#   JAVA_HOME   JDK to take the runtime from     (default /usr/lib/jvm/temurin-25-jdk-amd64)
#   IMAGE       image name to import as          (default registry-jre-base:local)
#   SUITE       Debian release                   (default bookworm)
#   MIRROR      Debian mirror                    (default http://deb.debian.org/debian)
#   MODULES     Java modules to put in the image (default: the list below)
# See docs/docker.md.
set -eu

JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
IMAGE=${IMAGE:-registry-jre-base:local}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# What the shaded jar uses: `jdeps --print-module-deps --ignore-missing-deps --multi-release 21
# registry-server/target/registry-server.jar` prints java.base, java.naming, java.sql and
# jdk.unsupported (Netty), plus java.desktop and java.compiler, which only optional code needs
# (java.beans in Jackson's and SnakeYAML's bean support, Error Prone annotations) and which are
# left out. java.logging and java.xml come in through java.sql; java.xml also reads logback.xml.
# java.management is for JMX/jcmd-style diagnostics; jdk.crypto.ec holds the EC keys (TLS, the
# token server's ES256 key) on JDK 21, and is an empty module from JDK 22 on.
MODULES=${MODULES:-java.base,java.logging,java.management,java.naming,java.sql,java.xml,jdk.crypto.ec,jdk.unsupported}

die() { echo "build-base-image: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap needs it)."
command -v docker >/dev/null || die "docker is not installed."
docker info >/dev/null 2>&1 || die "cannot reach the Docker engine (is DOCKER_HOST set?)."
[ -x "$JAVA_HOME/bin/jlink" ] || die "no jlink in $JAVA_HOME/bin: set JAVA_HOME to a JDK 21 or newer."
feature=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
[ -n "$feature" ] && [ "$feature" -ge 21 ] || die "$JAVA_HOME is Java ${feature:-?}: the registry needs 21 or newer."

if ! command -v debootstrap >/dev/null; then
    echo "build-base-image: installing debootstrap" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# Drop modules this JDK does not have (jdk.crypto.ec may be removed in a future release).
available=$("$JAVA_HOME/bin/java" --list-modules | sed 's/@.*//')
modules=
for m in $(echo "$MODULES" | tr ',' ' '); do
    if echo "$available" | grep -qx "$m"; then
        modules=${modules:+$modules,}$m
    else
        echo "build-base-image: $JAVA_HOME has no module $m, leaving it out" >&2
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/registry-jre-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
rootfs=$work/rootfs

echo "build-base-image: debootstrap --variant=minbase $SUITE from $MIRROR" >&2
debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)."; }

# Keep the root file system small: no package lists or caches, docs, man pages, locales.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/log/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/lintian "$rootfs"/tmp/* "$rootfs"/var/tmp/*
# Tell dpkg not to bring them back if someone installs packages on top of this image.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
# Inside a container the host's resolver is mounted over these.
: >"$rootfs/etc/resolv.conf"
: >"$rootfs/etc/hostname"

echo "build-base-image: jlink $modules from $JAVA_HOME (Java $feature)" >&2
set -- --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=zip-6 --generate-cds-archive --output "$rootfs/opt/java"
if [ "$feature" -ge 24 ]; then
    # Netty still uses sun.misc.Unsafe's memory methods; from JDK 24 on every start would print a
    # "terminally deprecated method" warning. Allow them by default in this runtime.
    set -- "$@" --add-options=--sun-misc-unsafe-memory-access=allow
fi
"$JAVA_HOME/bin/jlink" "$@"
# The second CDS archive is only used with heaps over 32 GB (no compressed oops): 14 MB saved.
rm -f "$rootfs/opt/java/lib/server/classes_nocoops.jsa"
"$rootfs/opt/java/bin/java" -version >/dev/null 2>&1 || die "the jlinked runtime does not start."

echo "build-base-image: importing as $IMAGE" >&2
tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV JAVA_HOME=/opt/java' \
    --change 'ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["java", "-version"]' \
    --message "Debian $SUITE minbase + jlink runtime ($modules) of Java $feature" \
    - "$IMAGE" >/dev/null
docker run --rm --network none "$IMAGE" java -version
docker image ls "$IMAGE"
