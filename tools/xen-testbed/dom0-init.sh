#!/bin/sh
# dom0 /init of the xmig Xen test bed: bring up Xen's daemons, mount the test-bed disk (/dev/vda: /jdk, /xmig,
# /out), run the scenario named on the kernel command line (xmig_scenario=...), write results to /out, power off.
# Every result line the host looks for starts with "TB-".
export PATH=/bin:/sbin:/usr/bin:/usr/lib/xen-4.17/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/xen /run/xenstored /var/run/xen /var/lib/xen /var/lib/xenstored /var/log/xen/console /var/lock /tb
up() { cut -d' ' -f1 /proc/uptime; }
karg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline | tr + ' '; }
SCENARIO=$(karg xmig_scenario); RATES=$(karg xmig_rates); POLICIES=$(karg xmig_policies); ATTEMPTS=$(karg xmig_attempts)
RATES=${RATES:-0 1000 10000}; POLICIES=${POLICIES:-xen-default downtime-limit}; ATTEMPTS=${ATTEMPTS:-3}
WS=$(karg xmig_ws); WS=${WS:-32}; MEM=$(karg xmig_mem); MEM=${MEM:-128}
echo "TB-DOM0-START scenario=$SCENARIO uptime=$(up)"
for m in $(cat /modules.order); do insmod /lib/modules/$m 2>&1 | grep -v "File exists"; done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstored.pid; sleep 1
xen-init-dom0 >/dev/null
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
mount -t ext4 /dev/vda /tb || { echo "TB-FAIL cannot mount the test-bed disk"; poweroff -f; }
OUT=/tb/out; mkdir -p $OUT; RES=$OUT/results.jsonl
export JAVA_HOME=/tb/jdk XMIG_HYPERVISOR=xen XMIG_HEAP=512m XMIG_JAVA_OPTS=-XX:ErrorFile=/tb/out/hs_err_%p.log
XMIG=/tb/xmig/bin/xmig
xl info | grep -E "xen_version|virt_caps|free_memory"
echo "TB-DOM0-READY uptime=$(up)"

conslog() { cat /var/log/xen/console/guest-*.log 2>/dev/null; }
tlines() { conslog | grep -c "^T "; }
# start the guest: $1 = dirty rate (pages/s)
startguest() {
  xl destroy domU 2>/dev/null; rm -f /var/log/xen/console/guest-*.log; xl dmesg -c >/dev/null 2>&1
  cat > /root/domU.cfg <<EOC
name="domU"
type="pvh"
memory=$MEM
vcpus=1
kernel="/root/vmlinuz"
ramdisk="/root/domU.cpio.gz"
extra="console=hvc0 rdinit=/init quiet xmig_ws=$WS xmig_rate=$1"
on_crash="preserve"
on_reboot="preserve"
on_poweroff="preserve"
EOC
  xl create /root/domU.cfg || return 1
  for i in $(seq 1 400); do conslog | grep -q "DIRTIER start" && break; sleep 1; done
  conslog | grep -q "DIRTIER start" || { echo "TB-GUEST-NOT-UP"; return 1; }
  sleep 3
  DOMID=$(xl domid domU)
}
# whether the guest is alive: running domU whose workload prints new lines within 15 s
guestalive() {
  n=$(tlines); xl list | grep -E "^domU " | grep -qv -- "-c-" || { echo "TB-GUEST-STATE $(xl list | grep domU)"; return 1; }
  for i in $(seq 1 15); do sleep 1; [ "$(tlines)" -gt "$n" ] && return 0; done
  return 1
}
# a crashed guest (under QEMU's nested SVM/NPT emulation this happens without any fault of Xen or the stream)
guestcrashed() {
  xl list | awk '$1 ~ /^domU/ {print $5}' | grep -q c && return 0
  xl dmesg 2>/dev/null | grep -qi "triple fault" && return 0
  conslog | grep -qE "Kernel panic|BUG:|general protection"
}
longest_stall() { conslog | sed -n 's/^STALL ms=\([0-9]*\).*/\1/p' | sort -n | tail -1; }
# one attempt record: tool policy rate attempt outcome seconds extra-json
record() { echo "{\"scenario\":\"$SCENARIO\",\"tool\":\"$1\",\"policy\":\"$2\",\"rate\":$3,\"attempt\":$4,\"outcome\":\"$5\",\"seconds\":${6:-null},\"guest_stall_ms\":${7:-null},\"stream\":\"$8\"}" >> $RES; sync; echo "TB-ATTEMPT $*"; }
el() { echo "$(up) $1" | awk '{printf "%.2f", $1-$2}'; }

# one migration by tool $1 (xl | xmig) with policy $2 at rate $3, attempt $4; the stream is tee'd to $OUT
migrate_once() {
  tag="$1-$2-r$3-a$4"; startguest $3 || { record $1 $2 $3 $4 guest-not-up; return 2; }
  s=$(up)
  if [ $1 = xl ]; then
    timeout 900 xl -vvv migrate -s "" domU "tee $OUT/$tag.stream | xl migrate-receive -e" > $OUT/$tag.log 2>&1; rc=$?
  else
    timeout 900 $XMIG xen-send --domain $DOMID --policy $2 --receiver "tee $OUT/$tag.stream | xl migrate-receive -e" \
      --receiver-log $OUT/$tag.receiver.log --report $OUT/$tag.json > $OUT/$tag.log 2>&1; rc=$?
  fi
  took=$(el $s)
  if [ $rc = 0 ] && guestalive; then out=pass
  elif guestcrashed; then out=guest-crash
  else out=fail; fi
  conslog > $OUT/$tag.console.log; xl dmesg > $OUT/$tag.dmesg.txt 2>&1
  record $1 $2 $3 $4 $out $took "$(longest_stall)" $tag.stream
  [ $out = pass ] && return 0; [ $out = guest-crash ] && return 2; return 1
}
# retry on infrastructure failures (a crashed guest under emulation), never counting them as passes
migrate_retrying() {
  a=1; while [ $a -le $ATTEMPTS ]; do migrate_once $1 $2 $3 $a; rc=$?; [ $rc = 2 ] || return $rc; a=$((a+1)); done; return 2
}

case $SCENARIO in
probe)
  startguest 200 || { echo "TB-FAIL guest did not come up"; }
  s=$(up); $XMIG xen-probe --domain $DOMID --report $OUT/probe.json > $OUT/probe.log 2>&1; rc=$?
  echo "TB-PROBE rc=$rc took $(el $s)s"; cat $OUT/probe.log
  s=$(up); $XMIG xen-send --domain $DOMID --policy xen-default --suspend pause --to $OUT/probe.stream --check-at-pause --resume \
     --report $OUT/probe-send.json > $OUT/probe-send.log 2>&1; rc2=$?
  echo "TB-PROBE-SEND rc=$rc2 took $(el $s)s"; grep -E "pausePointDiffs|finalPages|pagesSent" $OUT/probe-send.log
  guestalive && alive=1 || alive=0
  echo "TB-PROBE-GUEST-ALIVE $alive"
  conslog > $OUT/probe.console.log
  [ $rc = 0 ] && [ $rc2 = 0 ] && [ $alive = 1 ] && echo "TB-PASS probe" || echo "TB-FAIL probe"
  ;;
xmig-to-stock-receiver)
  migrate_retrying xmig xen-default ${RATES%% *}; rc=$?
  xl list; tail -3 $OUT/*.console.log
  [ $rc = 0 ] && echo "TB-PASS xmig-to-stock-receiver" || echo "TB-FAIL xmig-to-stock-receiver"
  ;;
xl-migrate)
  for r in $RATES; do migrate_retrying xl stock $r; done; echo "TB-DONE xl-migrate"
  ;;
xmig-precopy)
  for r in $RATES; do for p in $POLICIES; do migrate_retrying xmig $p $r; done; done; echo "TB-DONE xmig-precopy"
  ;;
side-by-side)
  for r in $RATES; do migrate_retrying xl stock $r; for p in $POLICIES; do migrate_retrying xmig $p $r; done; done
  echo "TB-DONE side-by-side"
  ;;
shell) exec /bin/sh ;;
*) echo "TB-FAIL unknown scenario '$SCENARIO'" ;;
esac
xl destroy domU 2>/dev/null
sync; umount /tb; echo "TB-DOM0-END uptime=$(up)"
poweroff -f
