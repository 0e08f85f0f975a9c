#!/bin/bash
# Makes the strongSwan IKEv2 captures in this folder (see NOTES-crypto.md).
#
# Two network namespaces (qcdsw-i, qcdsw-r) joined by a veth pair, one charon
# (Debian's strongswan-charon, /usr/lib/ipsec/charon) per namespace, each in
# its own mount namespace with a private /run (charon's pid file is fixed at
# /var/run/charon.pid) and its own strongswan.conf (STRONGSWAN_CONF), vici
# socket and log.  PSK authentication.  tcpdump captures on the initiator's veth.
#
# The container's kernel has no XFRM ESP support ("Protocol not supported"
# when adding an SAD entry), so the CHILD_SA cannot be installed: the
# responder answers IKE_AUTH with N(NO_PROPOSAL_CHOSEN) and keeps the IKE SA.
# The IKE messages are what these captures are for.
#
# Debian does not build strongSwan's save-keys plugin, so the key tables are
# written from charon's own log at level 4 ("private"): keymat_v2 logs
# Sk_ei/Sk_er/Sk_ai/Sk_ar there, and the SPIs are read from the capture.
#
# Needs root, iproute2, tcpdump, tshark, strongswan-charon, strongswan-swanctl.
# Re-runnable: removes its namespaces and processes on exit.
#
# Usage: tests/data/strongswan/make-captures.sh [OUTDIR]   (default: this folder)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
WORK=$(mktemp -d /tmp/qcd-strongswan.XXXXXX)
NS_I=qcdsw-i
NS_R=qcdsw-r
CHARON=/usr/lib/ipsec/charon
PIDS=()

cleanup() {
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.5
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    ip netns del "$NS_I" 2>/dev/null
    ip netns del "$NS_R" 2>/dev/null
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT

setup_net() {
    ip netns del "$NS_I" 2>/dev/null || true
    ip netns del "$NS_R" 2>/dev/null || true
    ip netns add "$NS_I"
    ip netns add "$NS_R"
    ip link add qcdsw0 netns "$NS_I" type veth peer name qcdsw1 netns "$NS_R"
    ip -n "$NS_I" addr add 10.99.0.1/24 dev qcdsw0
    ip -n "$NS_R" addr add 10.99.0.2/24 dev qcdsw1
    ip -n "$NS_I" addr add fd99::1/64 dev qcdsw0 nodad
    ip -n "$NS_R" addr add fd99::2/64 dev qcdsw1 nodad
    for ns in "$NS_I" "$NS_R"; do
        ip -n "$ns" link set lo up
    done
    ip -n "$NS_I" link set qcdsw0 up
    ip -n "$NS_R" link set qcdsw1 up
}

# write_conf ROLE DIR: strongswan.conf for one charon instance.
write_conf() {
    local dir=$2
    mkdir -p "$dir/run"
    cat >"$dir/strongswan.conf" <<CONF
charon {
    load = random nonce aes sha1 sha2 hmac gcm openssl pem pkcs1 x509 pubkey gmp curve25519 kdf kernel-netlink socket-default vici updown
    install_routes = no
    install_virtual_ip = no
    retransmit_tries = 2
    retransmit_timeout = 2.0
    plugins {
        vici {
            socket = unix://$dir/charon.vici
        }
    }
    filelog {
        log {
            path = $dir/charon.log
            time_format = %H:%M:%S
            ike_name = yes
            flush_line = yes
            default = 1
            ike = 4
            net = 2
            mgr = 2
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
}
CONF
}

start_charon() { # NS DIR
    local ns=$1 dir=$2
    ip netns exec "$ns" unshare --mount --propagation private \
        sh -c "mount -t tmpfs qcdsw-run /run && STRONGSWAN_CONF=$dir/strongswan.conf exec $CHARON" \
        >"$dir/stdout" 2>&1 &
    PIDS+=($!)
    echo $! >"$dir/pid"
    for _ in $(seq 50); do
        [ -S "$dir/charon.vici" ] && return 0
        sleep 0.1
    done
    echo "charon in $ns did not start; see $dir/charon.log" >&2
    cat "$dir/stdout" >&2
    return 1
}

stop_charon() { # DIR [signal]
    local dir=$1 sig=${2:-TERM}
    local pid
    pid=$(cat "$dir/pid")
    # charon runs as a child of sh->unshare; signal the whole process group members
    pkill -"$sig" -P "$pid" 2>/dev/null || true
    kill -"$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$dir/charon.vici"
}

charon_pid_in() { # DIR: the charon process (exec'd by sh, so same pid as unshare's child)
    local dir=$1
    pgrep -P "$(cat "$dir/pid")" || cat "$dir/pid"
}

# swanctl_conf DIR ROLE PROPOSAL LOCAL REMOTE EXTRA
swanctl_conf() {
    local dir=$1 role=$2 prop=$3 local_addr=$4 remote_addr=$5 extra=$6
    local me peer esp
    # ESP in IKE_AUTH has no key exchange of its own: drop the PRF and DH group
    esp=$(echo "$prop" | sed -E 's/-prf[a-z0-9]+//; s/-(modp|ecp|x25519)[0-9]*$//')
    if [ "$role" = i ]; then me=gw-i.qcd.test; peer=gw-r.qcd.test; else me=gw-r.qcd.test; peer=gw-i.qcd.test; fi
    cat >"$dir/swanctl.conf" <<CONF
connections {
    qcd {
        version = 2
        local_addrs = $local_addr
        remote_addrs = $remote_addr
        proposals = $prop
        rekey_time = 0
        $extra
        local {
            auth = psk
            id = $me
        }
        remote {
            auth = psk
            id = $peer
        }
        children {
            net {
                local_ts = dynamic
                remote_ts = dynamic
                esp_proposals = $esp
                mode = transport
                rekey_time = 0
            }
        }
    }
}
secrets {
    ike-qcd {
        id-1 = gw-i.qcd.test
        id-2 = gw-r.qcd.test
        secret = "qcd-test-psk-not-secret"
    }
}
CONF
    swanctl --load-all --file "$dir/swanctl.conf" --uri "unix://$dir/charon.vici" >/dev/null
}

# keys_from_log LOG PCAP ENC INTEG: one key table line for the first IKE SA.
keys_from_log() {
    local log=$1 pcap=$2 enc=$3 integ=$4
    local spis
    spis=$(tshark -r "$pcap" -T fields -e isakmp.ispi -e isakmp.rspi 2>/dev/null |
        tr -d ':' | awk '$2 != "0000000000000000" { print; exit }')
    local ispi rspi
    ispi=$(echo "$spis" | cut -f1)
    rspi=$(echo "$spis" | cut -f2)
    python3 - "$log" "$ispi" "$rspi" "$enc" "$integ" <<'PY'
import re, sys
log, ispi, rspi, enc, integ = sys.argv[1:]
keys = {}
cur = None
for line in open(log, encoding="utf-8", errors="replace"):
    m = re.search(r"(Sk_[a-z]+) secret => (\d+) bytes", line)
    if m:
        name = m.group(1)
        if name in keys:          # only the first IKE SA in this log
            cur = None
            if all(k in keys for k in ("Sk_ei", "Sk_er", "Sk_ai", "Sk_ar")):
                break
            continue
        cur = name
        keys[cur] = ""
        continue
    m = re.search(r"\]\s+(?:<[^>]*>)?\s+(\d+): ((?:[0-9A-F]{2} )+)", line)
    if cur and m:
        keys[cur] += m.group(2).replace(" ", "").strip().lower()
        continue
    cur = None
get = lambda k: keys.get(k, "")
print(f'{ispi},{rspi},{get("Sk_ei")},{get("Sk_er")},"{enc}",{get("Sk_ai")},{get("Sk_ar")},"{integ}"')
PY
}

tshark_decode() { # PCAP KEYS OUT
    local home
    home=$(mktemp -d "$WORK/home.XXXX")
    mkdir -p "$home/.config/wireshark"
    cp "$2" "$home/.config/wireshark/ikev2_decryption_table"
    # -V: decoded tree with the integrity check result; -x: hex of every data
    # source, including "Decrypted Data" (the inner payloads, padding included),
    # which tests/it/ikecrypto_strongswan.rs compares with qcd's decryption.
    HOME=$home tshark -r "$1" -V -x 2>/dev/null >"$3"
}

# REDECODE=1: only rewrite the *.tshark.txt decodes from the committed captures.
if [ -n "${REDECODE:-}" ]; then
    for pcap in "$OUT"/*.pcap; do
        tshark_decode "$pcap" "${pcap%.pcap}.keys" "${pcap%.pcap}.tshark.txt"
    done
    exit 0
fi

# scenario NAME PROPOSAL ENC INTEG [v6] [EXTRA]
scenario() {
    if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$1" ]; then return 0; fi
    # mobike = no keeps IKE on port 500 (MOBIKE makes strongSwan float to 4500)
    local name=$1 prop=$2 enc=$3 integ=$4 family=${5:-v4} extra=${6:-mobike = no}
    local li=10.99.0.1 lr=10.99.0.2
    if [ "$family" = v6 ]; then li=fd99::1; lr=fd99::2; fi
    local di=$WORK/$name-i dr=$WORK/$name-r
    write_conf i "$di"
    write_conf r "$dr"
    start_charon "$NS_I" "$di"
    start_charon "$NS_R" "$dr"
    swanctl_conf "$di" i "$prop" "$li" "$lr" "$extra"
    swanctl_conf "$dr" r "$prop" "$lr" "$li" "$extra"
    local pcap=$OUT/$name.pcap
    ip netns exec "$NS_I" tcpdump -i qcdsw0 -s 0 -U -w "$pcap" 'udp port 500 or udp port 4500 or esp' 2>/dev/null &
    local tcpdump_pid=$!
    PIDS+=($tcpdump_pid)
    sleep 1
    swanctl --initiate --child net --uri "unix://$di/charon.vici" --timeout 10 >"$di/initiate.txt" 2>&1 || {
        echo "$name: initiate failed" >&2; tail -20 "$di/charon.log" >&2; }
    # one liveness check (empty INFORMATIONAL), then delete the SA
    if [ "$name" = reboot ]; then
        reboot_scenario "$di" "$dr"
    else
        sleep 0.5
        swanctl --terminate --ike qcd --uri "unix://$di/charon.vici" --timeout 5 >/dev/null 2>&1 || true
    fi
    sleep 1
    kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
    keys_from_log "$di/charon.log" "$pcap" "$enc" "$integ" >"$OUT/$name.keys"
    if [ -n "${KEEP_LOGS:-}" ]; then   # charon-log/: the raw logs, for qcd's charon key-log reader
        mkdir -p "$OUT/charon-log"
        cp "$pcap" "$OUT/charon-log/$name.pcap"
        sed "s|$WORK|/tmp/WORK|g" "$di/charon.log" >"$OUT/charon-log/$name-i.charon.log"
        sed "s|$WORK|/tmp/WORK|g" "$dr/charon.log" >"$OUT/charon-log/$name-r.charon.log"
    fi
    tshark_decode "$pcap" "$OUT/$name.keys" "$OUT/$name.tshark.txt"
    mkdir -p "$OUT/configs/$name"
    cp "$di/swanctl.conf" "$OUT/configs/$name/initiator-swanctl.conf"
    cp "$dr/swanctl.conf" "$OUT/configs/$name/responder-swanctl.conf"
    sed "s|$WORK|/tmp/WORK|g" "$di/strongswan.conf" >"$OUT/configs/$name/strongswan.conf"
    if [ "$name" = reboot ]; then
        grep -E "Starting IKE|INVALID_IKE_SPI|unknown|received packet|sending packet|checkout|generating" \
            "$dr/charon.log" | sed "s|$WORK|/tmp/WORK|g" >"$OUT/configs/$name/responder-after-reboot.log" || true
        grep -E "INVALID_IKE_SPI|DPD|retransmit|giving up|received packet|sending packet|parsed|generating|deleting|closing|established" \
            "$di/charon.log" | sed "s|$WORK|/tmp/WORK|g" >"$OUT/configs/$name/initiator.log" || true
    fi
    stop_charon "$di"
    stop_charon "$dr"
}

reboot_scenario() { # DI DR
    local di=$1 dr=$2
    sleep 1
    # the responder "crashes": SIGKILL, all IKE state lost
    stop_charon "$dr" KILL
    ip -n "$NS_R" xfrm state flush || true
    ip -n "$NS_R" xfrm policy flush || true
    sleep 0.5
    mv "$dr/charon.log" "$dr/charon-before-crash.log"
    start_charon "$NS_R" "$dr"
    swanctl --load-all --file "$dr/swanctl.conf" --uri "unix://$dr/charon.vici" >/dev/null
    # the initiator's DPD (dpd_delay = 2s) now reaches the rebooted responder
    sleep 12
}

command -v tshark >/dev/null && command -v tcpdump >/dev/null && [ -x "$CHARON" ] || {
    echo "needs tshark, tcpdump and strongswan-charon (/usr/lib/ipsec/charon)" >&2; exit 1; }

setup_net
mkdir -p "$OUT"
scenario aes128-sha1 aes128-sha1-modp2048 "AES-CBC-128 [RFC3602]" "HMAC_SHA1_96 [RFC2404]"
scenario aes192-sha384 aes192-sha384-ecp256 "AES-CBC-192 [RFC3602]" "HMAC_SHA2_384_192 [RFC4868]"
scenario aes256-sha256 aes256-sha256-x25519 "AES-CBC-256 [RFC3602]" "HMAC_SHA2_256_128 [RFC4868]"
scenario aes256-sha512 aes256-sha512-x25519 "AES-CBC-256 [RFC3602]" "HMAC_SHA2_512_256 [RFC4868]"
scenario aes128gcm16 aes128gcm16-prfsha256-x25519 "AES-GCM-128 with 16 octet ICV [RFC5282]" "NONE [RFC4306]"
scenario aes256gcm16 aes256gcm16-prfsha384-x25519 "AES-GCM-256 with 16 octet ICV [RFC5282]" "NONE [RFC4306]"
scenario aes256gcm8 aes256gcm8-prfsha256-x25519 "AES-GCM-256 with 8 octet ICV [RFC5282]" "NONE [RFC4306]"
scenario aes192gcm12 aes192gcm12-prfsha256-x25519 "AES-GCM-192 with 12 octet ICV [RFC5282]" "NONE [RFC4306]"
scenario ipv6-aes256gcm16 aes256gcm16-prfsha256-x25519 "AES-GCM-256 with 16 octet ICV [RFC5282]" "NONE [RFC4306]" v6
scenario natt-aes256-sha256 aes256-sha256-x25519 "AES-CBC-256 [RFC3602]" "HMAC_SHA2_256_128 [RFC4868]" v4 "encap = yes"
scenario reboot aes256-sha256-x25519 "AES-CBC-256 [RFC3602]" "HMAC_SHA2_256_128 [RFC4868]" v4 "$(printf 'mobike = no\n        dpd_delay = 2s')"
ls -l "$OUT"
