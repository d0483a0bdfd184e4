"""Splits whole-machine perf samples by command and by what their stack is doing.

Input: `perf script -F comm,ip,sym` of a `perf record -a -g` (prof.sh). For each command,
prints its samples (and cores, for 8 s at 999 Hz) and the share of each category. A sample
goes to the first category (in the order below) that names a frame on its stack.
"""
import collections
import sys

SECONDS, HZ = 8, 999
CATEGORIES = [
    # The receiving host's TCP stack, run in softirq from whoever sent the frame.
    ("host-stack-in-sender-ctx", ["tcp_v4_rcv", "tcp_v6_rcv"]),
    ("copy-to-user", ["_copy_to_iter", "skb_copy_datagram_iter"]),
    ("copy-from-user", ["_copy_from_iter", "_copy_from_user", "skb_copy_datagram_from_iter"]),
    ("afpacket-rx", ["packet_recvmsg", "tpacket_rcv"]),
    ("afpacket-tx", ["packet_sendmsg", "packet_snd", "tpacket_snd"]),
    ("afpacket-rx-clone", ["packet_rcv"]),
    ("wait/poll", ["do_sys_poll", "__x64_sys_ppoll", "do_epoll_wait", "schedule", "futex_wait"]),
    ("conntrack-kernel", ["nf_conntrack_in", "nf_ct_", "nft_ct", "nf_hook_slow"]),
    ("bridge-kernel", ["br_handle_frame", "br_forward", "br_dev_queue_push_xmit"]),
    ("tcp-send", ["tcp_sendmsg"]),
    ("tcp-recv-user", ["tcp_recvmsg"]),
    ("go-pipeline", ["gswitch/pipeline.", "gswitch/ct."]),
    ("go-datapath", ["gswitch/datapath.", "gswitch/ports."]),
]


def category(stack):
    s = " ".join(stack)
    for name, keys in CATEGORIES:
        if any(k in s for k in keys):
            return name
    return "other"


def main():
    per = collections.Counter()
    total = collections.Counter()
    comm, stack = None, []

    def flush():
        if comm is not None:
            per[(comm, category(stack))] += 1
            total[comm] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            comm, stack = None, []
        elif not line[0].isspace():
            comm, stack = line.split()[0], []
        else:
            f = line.split()
            if len(f) >= 2:
                stack.append(f[1])
    flush()
    for c in sorted(total, key=lambda k: -total[k])[:4]:
        print(f"{c}: {total[c]} samples = {total[c] / SECONDS / HZ:.2f} cores")
        for (c2, cat), n in sorted(per.items(), key=lambda kv: -kv[1]):
            if c2 == c and n > total[c] * 0.02:
                print(f"   {cat:26s} {n:6d} {100 * n / total[c]:5.1f}%")


if __name__ == "__main__":
    main()
