#!/usr/bin/env bash
# run-in-vm.sh [--timeout SECONDS] [--mem MiB] [--smp N] [--keep] -- <command> [args...]
#
# Boots the Debian kernel under QEMU full emulation (TCG, -cpu max: emulated AMD SVM + NPT),
# loads kvm + kvm_amd so the guest has a working /dev/kvm, and runs <command> inside it.
# The guest's root filesystem is this machine's / (virtio-9p, read-only, with a tmpfs overlay
# so it looks writable; writes outside /work are discarded), /work is shared read-write.
# The command runs with the caller's environment and cwd, stdout/stderr are streamed to ours,
# and the script exits with the command's status (124: timeout, 125: the VM failed).
#
# Environment: QEMU_KVM_CACHE (default /tmp/qemu-kvm-cache) holds the kernel + initramfs,
# rebuilt when missing or when this script changes. QEMU_KVM_VERBOSE=1 prints the boot log.
set -u -o pipefail

TIMEOUT=600
MEM=4096
SMP=2
KEEP=0
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) TIMEOUT=$2; shift 2 ;;
        --timeout=*) TIMEOUT=${1#*=}; shift ;;
        --mem) MEM=$2; shift 2 ;;
        --smp) SMP=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || usage

CACHE=${QEMU_KVM_CACHE:-/tmp/qemu-kvm-cache}
log() { echo "run-in-vm: $*" >&2; }

# ---------------------------------------------------------------- packages
ensure_packages() {
    local need=()
    command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
    dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
    command -v cpio >/dev/null || need+=(cpio)
    ls /lib/modules/*/kernel/arch/x86/kvm/kvm-amd.ko* >/dev/null 2>&1 || need+=(linux-image-amd64)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing ${need[*]}"
        [ "$(id -u)" = 0 ] || { log "need root to apt-get install ${need[*]}"; exit 125; }
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"; } >&2 \
            || { log "apt-get install failed"; exit 125; }
    fi
}

# newest installed Debian kernel that has kvm-amd and the 9p modules
pick_kernel() {
    local v
    for v in $(ls -1 /lib/modules | sort -rV); do
        if [ -e "/boot/vmlinuz-$v" ] && ls /lib/modules/$v/kernel/arch/x86/kvm/kvm-amd.ko* >/dev/null 2>&1 \
            && ls /lib/modules/$v/kernel/fs/9p/9p.ko* >/dev/null 2>&1; then
            echo "$v"; return 0
        fi
    done
    return 1
}

# ---------------------------------------------------------------- initramfs
# modules to load, in order; dependencies are resolved from modules.dep
WANT_MODULES="virtio_pci virtio_console 9pnet_virtio 9p overlay kvm kvm-amd"

build_initramfs() {
    local kver=$1 out=$2 mdir=/lib/modules/$1 tmp
    tmp=$(mktemp -d "$CACHE/build.XXXXXX")
    mkdir -p "$tmp"/{bin,dev,proc,sys,lower,rw,newroot,lib/mod}
    cp /bin/busybox "$tmp/bin/busybox"
    # resolve module dependencies (depth first, deps before the module)
    declare -A seen=()
    local order=()
    add_mod() {
        local rel=$1 deps d
        [ -n "${seen[$rel]:-}" ] && return
        seen[$rel]=1
        deps=$(grep -m1 -E "^${rel//./\\.}:" "$mdir/modules.dep" | cut -d: -f2)
        for d in $deps; do add_mod "$d"; done
        order+=("$rel")
    }
    local m rel
    for m in $WANT_MODULES; do
        rel=$(grep -m1 -E "/${m//-/[-_]}\.ko(\.[a-z]+)?:" "$mdir/modules.dep" | cut -d: -f1)
        [ -n "$rel" ] || { log "module $m not found for $kver"; rm -rf "$tmp"; return 1; }
        add_mod "$rel"
    done
    : > "$tmp/lib/mod/order"
    for rel in "${order[@]}"; do
        local base=${rel##*/} name
        case "$base" in
            *.ko) cp "$mdir/$rel" "$tmp/lib/mod/$base" ;;
            *.ko.xz) xz -dc "$mdir/$rel" > "$tmp/lib/mod/${base%.xz}"; base=${base%.xz} ;;
            *.ko.zst) zstd -qdc "$mdir/$rel" > "$tmp/lib/mod/${base%.zst}"; base=${base%.zst} ;;
            *.ko.gz) gzip -dc "$mdir/$rel" > "$tmp/lib/mod/${base%.gz}"; base=${base%.gz} ;;
        esac
        echo "$base" >> "$tmp/lib/mod/order"
    done
    cat > "$tmp/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail() { echo "@@VM-FAIL $*"; poweroff -f; sleep 5; }
for m in $(cat /lib/mod/order); do insmod /lib/mod/$m || echo "insmod $m failed"; done
echo "@@VM-BOOTED $(cut -d' ' -f1 /proc/uptime)"
O9=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o $O9,ro,cache=loose hostroot /lower || fail "mount hostroot"
mount -t tmpfs -o mode=755 rw /rw
mkdir -p /rw/upper /rw/work
if ! mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work root /newroot 2>/dev/null; then
    echo "overlay failed; using read-only root with tmpfs /tmp /run /var/tmp /root"
    mount --bind /lower /newroot
    for d in /root /var/tmp /tmp; do mount -t tmpfs -o mode=1777 tmpfs /newroot$d; done
    chmod 700 /newroot/root
fi
R=/newroot
mount -t 9p -o $O9,cache=mmap work $R/work || fail "mount work"
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t tmpfs -o mode=755 run $R/run
mkdir -p $R/run/vmjob
mount -t 9p -o $O9,cache=none job $R/run/vmjob || fail "mount job"
ip link set lo up 2>/dev/null
hostname vm
OUT=/dev/console ERR=/dev/console
for p in /sys/class/virtio-ports/*; do
    case "$(cat $p/name 2>/dev/null)" in
        out) OUT=/dev/${p##*/} ;;
        err) ERR=/dev/${p##*/} ;;
    esac
done
[ -e /dev/kvm ] || echo "@@VM-NOKVM"
echo "@@VM-PORTS out=$OUT err=$ERR"
echo "@@VM-START $(cut -d' ' -f1 /proc/uptime)"
# redirect inside the chroot so that ash's own job-status messages ("Killed") stay on the console
chroot $R /bin/bash -c 'exec </dev/null >"$1" 2>"$2"; . /run/vmjob/job.sh' job "$OUT" "$ERR"
rc=$?
echo "@@VM-END $(cut -d' ' -f1 /proc/uptime)"
echo $rc > $R/run/vmjob/rc
echo "@@VM-EXIT $rc"
sync
poweroff -f
sleep 5
EOF
    chmod +x "$tmp/init"
    (cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp" && mv "$out.tmp" "$out"
    rm -rf "$tmp"
}

ensure_packages
KVER=$(pick_kernel) || { log "no kernel with kvm-amd + 9p modules found (apt-get install linux-image-amd64)"; exit 125; }
mkdir -p "$CACHE"
STAMP=$( (echo "$KVER $WANT_MODULES"; sed -n '/^build_initramfs()/,/^}/p' "$0"; cat /bin/busybox) | md5sum | cut -c1-12)
INITRD=$CACHE/initramfs-$KVER-$STAMP.cpio.gz
KERNEL=$CACHE/vmlinuz-$KVER
if [ ! -s "$INITRD" ]; then
    log "building $INITRD"
    rm -f "$CACHE"/initramfs-*.cpio.gz
    build_initramfs "$KVER" "$INITRD" || exit 125
fi
[ -s "$KERNEL" ] || { cp "/boot/vmlinuz-$KVER" "$KERNEL.$$" && mv "$KERNEL.$$" "$KERNEL"; } || exit 125

# ---------------------------------------------------------------- job
JOB=$(mktemp -d "$CACHE/job.XXXXXX")
cleanup() {
    [ -n "${CAT1:-}" ] && kill "$CAT1" 2>/dev/null
    [ -n "${CAT2:-}" ] && kill "$CAT2" 2>/dev/null
    if [ "$KEEP" = 1 ]; then log "job dir kept: $JOB"; else rm -rf "$JOB"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
    echo '# generated by run-in-vm.sh'
    # caller's environment, minus variables that describe this shell or the host session
    export -p | grep -vE '^declare -x (BASHOPTS|SHELLOPTS|SHLVL|PWD|OLDPWD|_|BASH_[A-Z_]*|SSH_[A-Z_]*|DISPLAY|XAUTHORITY|TMUX[A-Z_]*)(=|$)'
    printf 'cd -- %q 2>/dev/null || cd /\n' "$PWD"
    printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$JOB/job.sh"
mkfifo "$JOB/out" "$JOB/err"
cat "$JOB/out" & CAT1=$!
cat "$JOB/err" >&2 & CAT2=$!

T0=$(date +%s.%N)
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu max -m "$MEM" -smp "$SMP" \
    -no-user-config -nodefaults -display none -no-reboot \
    -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init tsc=reliable mitigations=off" \
    -serial "file:$JOB/console.log" \
    -fsdev local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=fs0,mount_tag=hostroot \
    -fsdev local,id=fs1,path=/work,security_model=passthrough,multidevs=remap \
    -device virtio-9p-pci,fsdev=fs1,mount_tag=work \
    -fsdev local,id=fs2,path="$JOB",security_model=passthrough \
    -device virtio-9p-pci,fsdev=fs2,mount_tag=job \
    -device virtio-serial-pci \
    -chardev file,id=cout,path="$JOB/out" -device virtserialport,chardev=cout,name=out \
    -chardev file,id=cerr,path="$JOB/err" -device virtserialport,chardev=cerr,name=err \
    </dev/null >"$JOB/qemu.log" 2>&1
QRC=$?
T1=$(date +%s.%N)

# let the readers drain: QEMU held the only write side, so they see EOF now
for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$CAT1" 2>/dev/null || kill -0 "$CAT2" 2>/dev/null || break
    sleep 0.1
done

CON=$JOB/console.log
if [ "${QEMU_KVM_VERBOSE:-0}" = 1 ]; then
    log "qemu exit $QRC, wall $(awk "BEGIN{printf \"%.1f\", $T1 - $T0}") s"
    sed 's/^/[vm] /' "$CON" "$JOB/qemu.log" >&2
fi
if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
    log "timeout after ${TIMEOUT}s"; exit 124
fi
if [ -s "$JOB/rc" ]; then
    exit "$(cat "$JOB/rc")"
fi
if grep -q '@@VM-START' "$CON" 2>/dev/null; then
    log "VM died while running the command (qemu exit $QRC); console tail:"
else
    log "VM failed to boot (qemu exit $QRC); console tail:"
fi
tail -n 30 "$CON" "$JOB/qemu.log" >&2 2>/dev/null
exit 125
