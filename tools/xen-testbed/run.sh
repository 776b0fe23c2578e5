#!/usr/bin/env bash
# The xmig Xen test bed: boots Debian's Xen 4.17 + a busybox dom0 under QEMU 7.2 (TCG, emulated SVM+NPT), with a
# 128 MiB PVH guest running tools/xen-testbed/dirtier.c, and runs one scenario with xmig's real-Xen backend.
#
#   tools/xen-testbed/run.sh --scenario probe|xl-migrate|xmig-precopy|xmig-to-stock-receiver|side-by-side --out DIR
#        [--rates "0 1000 10000"] [--policies "xen-default downtime-limit"] [--attempts 3] [--timeout SECONDS]
#        [--no-build] [--keep-streams]
#
# Installs what it needs from Debian's packages (root), builds xmig (mvn package, never install), a jlink JDK image,
# the guest workload and both initramfs, boots with a timeout, copies results (JSON, logs, stream checks) to DIR and
# cleans up its work directory. Exit 0 iff the scenario passed (probe, xmig-to-stock-receiver) or ran to its end
# (xl-migrate, xmig-precopy, side-by-side: those record each attempt in DIR/results.jsonl). One QEMU at a time:
# it needs ~1.5 GB RAM and both cores. CI does not run this. docs/XEN.md explains the scenarios.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; root="$(cd "$here/../.." && pwd)"
scenario=""; out=""; rates="0 1000 10000"; policies="xen-default downtime-limit"; attempts=3; tmo=""; build=1; keep=0
while (($#)); do
  case "$1" in
    --scenario) scenario="$2"; shift 2;; --out) out="$2"; shift 2;; --rates) rates="$2"; shift 2;;
    --policies) policies="$2"; shift 2;; --attempts) attempts="$2"; shift 2;; --timeout) tmo="$2"; shift 2;;
    --no-build) build=0; shift;; --keep-streams) keep=1; shift;;
    -h|--help) sed -n '2,14p' "$0"; exit 0;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2;;
  esac
done
case "$scenario" in probe|xl-migrate|xmig-precopy|xmig-to-stock-receiver|side-by-side) ;;
  *) echo "run.sh: --scenario probe|xl-migrate|xmig-precopy|xmig-to-stock-receiver|side-by-side is required" >&2; exit 2;; esac
[ -n "$out" ] || { echo "run.sh: --out DIR is required" >&2; exit 2; }
case "$scenario" in probe|xmig-to-stock-receiver) tmo=${tmo:-900};; *) tmo=${tmo:-5400};; esac
mkdir -p "$out"; out="$(cd "$out" && pwd)"
log() { echo "run.sh: $(date -u +%T) $*" >&2; }

# ---- packages (Debian 12): Xen, QEMU 7.2, the kernel for dom0 and guest, busybox, disk tools
KV=6.1.0-56-amd64
PKGS=(qemu-system-x86 xen-hypervisor-4.17-amd64 xen-utils-4.17 linux-image-$KV busybox-static cpio e2fsprogs gcc libc6-dev kmod perl)
missing=(); for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"; SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
qv=$(qemu-system-x86_64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p;q')
[ "$qv" = 7 ] || log "WARNING: QEMU $qv: the PVH guest is known not to boot under QEMU 10 (nested SVM/NPT); use Debian 12's 7.2"
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

# ---- build
W=$(mktemp -d /tmp/xmig-testbed.XXXXXX); trap 'rm -rf "$W"' EXIT
if [ $build = 1 ]; then log "building xmig"; (cd "$root" && JAVA_HOME=$J PATH=$J/bin:$PATH mvn -B -o -q -pl native,control -am package -DskipTests); fi
[ -f "$root/control/target/xmig-control.jar" ] || { echo "run.sh: xmig is not built (drop --no-build)" >&2; exit 1; }
zcat /boot/xen-4.17-amd64.gz > "$W/xen"; cp /boot/vmlinuz-$KV "$W/vmlinuz"
gcc -O2 -Wall -static -o "$W/dirtier" "$here/dirtier.c"

# guest initramfs: busybox + the dirtier, started with the rate and working set from the guest's command line
G=$W/domU-root; mkdir -p $G/{bin,dev,proc,sys,tmp}
cp /bin/busybox $G/bin/; cp "$W/dirtier" $G/bin/dirtier
for a in $($G/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox $G/bin/$a; done
cat > $G/init <<'EOI'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
WS=$(sed -n 's/.*xmig_ws=\([0-9]*\).*/\1/p' /proc/cmdline); RATE=$(sed -n 's/.*xmig_rate=\([0-9]*\).*/\1/p' /proc/cmdline)
exec /bin/dirtier ${WS:-32} ${RATE:-0}
EOI
chmod +x $G/init; (cd $G && find . | cpio -H newc -o --quiet | gzip -1 > "$W/domU.cpio.gz")

# dom0 initramfs: busybox, Xen's daemons and xl, the kernel modules, every shared library they and the JVM need
R=$W/dom0-root; mkdir -p $R/{bin,sbin,etc/xen,dev,proc,sys,tmp,run,var/lib/xen,var/log/xen,var/run,root,lib/modules,usr/bin,usr/lib/xen-4.17/bin,lib64}
cp /bin/busybox $R/bin/; for a in $($R/bin/busybox --list); do [ -e $R/bin/$a ] || ln -s busybox $R/bin/$a; done
ln -s /bin/busybox $R/usr/bin/env                       # bin/xmig starts with #!/usr/bin/env bash
: > $R/modules.order
for m in xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xenfs virtio_pci virtio_blk ext4; do
  modprobe -S $KV --show-depends $m | awk '$1=="insmod"{print $2}' | while read -r f; do
    b=$(basename "$f"); [ -e $R/lib/modules/$b ] || { cp "$f" $R/lib/modules/$b; echo $b >> $R/modules.order; }
  done
done
BINS="/bin/bash /usr/lib/xen-4.17/bin/xl /usr/lib/xen-4.17/bin/xenstored /usr/lib/xen-4.17/bin/xenconsoled /usr/lib/xen-4.17/bin/xen-init-dom0 /usr/lib/xen-4.17/bin/libxl-save-helper /usr/bin/xenstore"
for b in $BINS; do rm -f $R$b; cp $b $R$b; done     # bash: bin/xmig is a bash script
for x in xenstore-ls xenstore-read xenstore-write xenstore-list; do ln -sf xenstore $R/usr/bin/$x; done
LIBS="/usr/lib/x86_64-linux-gnu/libxenforeignmemory.so.1 /usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17"
for lib in $( (for b in $BINS $J/bin/java $J/lib/server/libjvm.so $J/lib/libjava.so $J/lib/libnet.so $J/lib/libnio.so $J/lib/libzip.so $LIBS; do ldd $b | grep -o '/[^ ]*'; done; echo "$LIBS") | sort -u); do
  mkdir -p $R$(dirname $lib); cp -L $lib $R$lib
done
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 $R/lib/x86_64-linux-gnu/; : > $R/etc/xen/xl.conf
cp "$W/domU.cpio.gz" "$W/vmlinuz" $R/root/
cp "$here/dom0-init.sh" $R/init; chmod +x $R/init
(cd $R && find . | cpio -H newc -o --quiet | gzip -1 > "$W/dom0.cpio.gz")

# the test-bed disk: a jlink JDK, the xmig distribution (bin/xmig's layout), room for results and streams
D=$W/disk; mkdir -p $D/out $D/xmig/bin $D/xmig/control/target/classes
$J/bin/jlink --add-modules java.se,jdk.unsupported,jdk.management --strip-debug --no-man-pages --no-header-files --output $D/jdk
cp "$root/bin/xmig" $D/xmig/bin/; cp "$root/control/target/xmig-control.jar" $D/xmig/control/target/
cp -r "$root/control/target/lib" $D/xmig/control/target/; cp "$root/control/target/classes/xmig-jvm.flags" $D/xmig/control/target/classes/
disk=4G; [ $scenario = probe ] || [ $scenario = xmig-to-stock-receiver ] && disk=1G
mkfs.ext4 -q -F -L xmigtb -d $D "$W/disk.img" $disk
log "built in $W ($(du -sh "$W/dom0.cpio.gz" | cut -f1) dom0 initramfs); booting Xen under QEMU for '$scenario' (timeout ${tmo}s)"

# ---- boot
XENARGS="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot dom0_mem=1536M,max:1536M dom0_max_vcpus=2"
LINUXARGS="console=hvc0 earlyprintk=xen rdinit=/init xmig_scenario=$scenario xmig_rates=${rates// /+} xmig_policies=${policies// /+} xmig_attempts=$attempts"
t0=$(date +%s)
set +e
timeout "$tmo" qemu-system-x86_64 -accel tcg -machine q35 -cpu qemu64,+svm,+npt -m 4096 -smp 2 \
  -display none -monitor none -serial stdio -no-reboot -kernel "$W/xen" -append "$XENARGS" \
  -initrd "$W/vmlinuz $LINUXARGS,$W/dom0.cpio.gz" -drive file="$W/disk.img",format=raw,if=virtio 2>&1 \
  | perl -MTime::HiRes=time -ne 'BEGIN{$|=1;$t0=time} s/\r//g; printf("[%7.2f] %s",time-$t0,$_)' > "$out/serial.log"
qrc=${PIPESTATUS[0]}
set -e
log "QEMU exited with $qrc after $(( $(date +%s) - t0 )) s"

# ---- results: copy /out off the disk, check every stream with Xen's verifier and xmig's reader
debugfs -R "rdump /out $W" "$W/disk.img" >/dev/null 2>&1 || true
cp -r "$W/out/." "$out/" 2>/dev/null || true
export PYTHONPATH=/usr/lib/xen-4.17/lib/python
for s in "$out"/*.stream; do
  [ -f "$s" ] || continue
  vrc=0; python3 /usr/lib/xen-4.17/bin/verify-stream-v2 -f xl -i "$s" > "$s.verify-stream-v2.txt" 2>&1 || vrc=$?
  echo "rc=$vrc" >> "$s.verify-stream-v2.txt"      # a crashed attempt leaves a cut stream: recorded, not fatal
  JAVA_HOME=$J "$root/bin/xmig" xen-verify "$s" > "$s.xen-verify.json" 2>&1 || true
  [ $keep = 1 ] || rm -f "$s"
done
grep -h "^\[.*\] TB-" "$out/serial.log" | sed 's/^\[ *[0-9.]*\] //' > "$out/markers.txt" || true
cat "$out/markers.txt" >&2
case $scenario in
  probe|xmig-to-stock-receiver) grep -q "^TB-PASS $scenario" "$out/markers.txt" && { log "PASS $scenario"; exit 0; } ;;
  *) grep -q "^TB-DONE" "$out/markers.txt" && { log "DONE $scenario (see $out/results.jsonl)"; exit 0; } ;;
esac
log "FAIL $scenario (see $out/serial.log)"; exit 1
