#!/usr/bin/python3
"""ctl.py PORT SECONDS [LOG [PSLOG]]: a minimal OpenFlow controller for capture.sh.

Listens on 127.0.0.1:PORT, greets each switch connection with a hello that
offers OpenFlow 1.0 to 1.5 (version bitmap) and answers echo requests, so the
switch's Controller row shows is_connected=true. Exits after SECONDS. With
LOG, appends a line "hello vN" to it for each switch hello (N its version),
so capture.sh can tell when the switch connected again. With PSLOG, appends a
line "port_status vN reason=R port=P name=NAME hw=MAC" to it for each
port-status message the switch sends."""
import select, socket, struct, sys, time

port, secs = int(sys.argv[1]), float(sys.argv[2])
log = sys.argv[3] if len(sys.argv) > 3 else None
pslog = sys.argv[4] if len(sys.argv) > 4 else None
end = time.monotonic() + secs
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(8)
conns = {}  # socket -> pending bytes


def hello():
    # OFPT_HELLO, version 6, one versionbitmap element: bits 1..6
    elem = struct.pack("!HHI", 1, 8, 0x7E)
    return struct.pack("!BBHI", 6, 0, 8 + len(elem), 1) + elem


while time.monotonic() < end:
    r, _, _ = select.select([ls] + list(conns), [], [], 0.5)
    for s in r:
        if s is ls:
            c, _ = ls.accept()
            c.sendall(hello())
            conns[c] = b""
            continue
        try:
            d = s.recv(65536)
        except OSError:
            d = b""
        if not d:
            s.close()
            del conns[s]
            continue
        buf = conns[s] + d
        while len(buf) >= 8:
            ver, typ, ln, xid = struct.unpack("!BBHI", buf[:8])
            if ln < 8 or len(buf) < ln:
                break
            msg, buf = buf[:ln], buf[ln:]
            if typ == 0 and log:  # the switch's hello
                with open(log, "a") as f:
                    f.write("hello v%d\n" % ver)
            if typ == 12 and pslog and len(msg) >= 64:  # OFPT_PORT_STATUS
                reason, d = msg[8], msg[16:]
                if ver == 1:  # ofp_phy_port
                    no, hw, name = struct.unpack("!H", d[:2])[0], d[2:8], d[8:24]
                else:  # ofp_port (1.3: no, pad; 1.5: no, length, pad)
                    no, hw, name = struct.unpack("!I", d[:4])[0], d[8:14], d[16:32]
                with open(pslog, "a") as f:
                    f.write("port_status v%d reason=%d port=%d name=%s hw=%s\n" % (
                        ver, reason, no, name.rstrip(b"\0").decode(), ":".join("%02x" % b for b in hw)))
            if typ == 2:  # echo request -> echo reply
                s.sendall(struct.pack("!BBHI", ver, 3, ln, xid) + msg[8:])
        conns[s] = buf
