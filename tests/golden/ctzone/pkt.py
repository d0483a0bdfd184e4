# pkt.py KIND - one Ethernet frame as hex for ovs-ofctl packet-out (steps.sh):
# udp 198.51.100.1:1234 -> .2:5678, udpr its reply, icmp an echo request
# (id 7), syn a TCP SYN 1234 -> 80. Checksums are computed (OVS checks them).
import struct,sys
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b)); s=(s>>16)+(s&0xffff); s+=s>>16; return (~s)&0xffff
def ip(src,dst,proto,payload):
    h=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(payload),1,0,64,proto,0,bytes(src),bytes(dst))
    h=h[:10]+struct.pack('!H',csum(h))+h[12:]; return h+payload
src=[198,51,100,1]; dst=[198,51,100,2]
kind=sys.argv[1]
if kind=='udp':
    pl=struct.pack('!HHHH',1234,5678,8,0)
    p=ip(src,dst,17,pl)
elif kind=='udpr':
    pl=struct.pack('!HHHH',5678,1234,8,0); p=ip(dst,src,17,pl)
elif kind=='icmp':
    pl=struct.pack('!BBHHH',8,0,0,7,1); pl=pl[:2]+struct.pack('!H',csum(pl))+pl[4:]; p=ip(src,dst,1,pl)
elif kind=='syn':
    t=struct.pack('!HHIIBBHHH',1234,80,1000,0,0x50,0x02,65535,0,0)
    ph=bytes(src)+bytes(dst)+struct.pack('!BBH',0,6,len(t))
    t=t[:16]+struct.pack('!H',csum(ph+t))+t[18:]; p=ip(src,dst,6,t)
eth=bytes.fromhex('020000000002020000000001')+b'\x08\x00'
if kind in('udpr',): eth=bytes.fromhex('020000000001020000000002')+b'\x08\x00'
print((eth+p).hex())
