# The TLV map tunnel.flows needs (ovs-ofctl add-tlv-map br0 LINE).
{class=0x102,type=0x80,len=4}->tun_metadata0,{class=0xffff,type=1,len=8}->tun_metadata1,{class=0xffff,type=2,len=4}->tun_metadata2
