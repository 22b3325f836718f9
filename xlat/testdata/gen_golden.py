# Independent golden-packet builder: headers written field by field, checksums
# computed with a plain RFC 1071 loop. Prints Go table entries.
import struct, ipaddress, sys

def csum(b):
    if len(b) % 2: b += b'\0'
    s = 0
    for i in range(0, len(b), 2):
        s += (b[i] << 8) | b[i+1]
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def a4(s): return ipaddress.IPv4Address(s).packed
def a6(s): return ipaddress.IPv6Address(s).packed

def ipv4(src, dst, proto, payload, tos=0, ident=0, flags_off=0, ttl=64, opts=b''):
    ihl = 5 + len(opts)//4
    h = struct.pack('!BBHHHBBH4s4s', 0x40|ihl, tos, ihl*4+len(payload), ident, flags_off, ttl, proto, 0, a4(src), a4(dst)) + opts
    c = csum(h)
    h = h[:10] + struct.pack('!H', c) + h[12:]
    return h + payload

def ipv6(src, dst, nh, payload, tc=0, hop=64, plen=None):
    if plen is None: plen = len(payload)
    return struct.pack('!IHBB16s16s', (6<<28)|(tc<<20), plen, nh, hop, a6(src), a6(dst)) + payload

def ph4(src, dst, proto, ln): return a4(src)+a4(dst)+struct.pack('!BBH', 0, proto, ln)
def ph6(src, dst, proto, ln): return a6(src)+a6(dst)+struct.pack('!IxxxB', ln, proto)

def udp(sp, dp, data, ph=None, zero=False):
    h = struct.pack('!HHHH', sp, dp, 8+len(data), 0) + data
    if zero or ph is None: return h
    c = csum(ph + h) or 0xffff
    return h[:6] + struct.pack('!H', c) + h[8:]

def tcp(sp, dp, data, ph):
    h = struct.pack('!HHIIBBHHH', sp, dp, 1000, 2000, 0x50, 0x18, 8192, 0, 0) + data
    c = csum(ph + h)
    return h[:16] + struct.pack('!H', c) + h[18:]

def icmp(typ, code, rest, data, ph=b''):
    h = struct.pack('!BBHI', typ, code, 0, rest) + data
    c = csum(ph + h)
    return h[:2] + struct.pack('!H', c) + h[4:]

def hexs(b):
    return b.hex()

# xorshift64* reimplementation (the documented PRNG; Seed(1)).
M = (1<<64)-1
class R:
    def __init__(s, seed): s.x = seed | 1
    def next(s):
        x = s.x
        x ^= x >> 12; x ^= (x << 25) & M; x ^= x >> 27
        s.x = x
        return (x * 0x2545f4914f6cdd1d) & M

r = R(1); ids = [r.next() & 0xffff for _ in range(4)]
print("// ids", [hex(i) for i in ids], file=sys.stderr)

out = []
def emit(name, *pkts):
    # pkts: list of (bytes, [(len, comment), ...])
    res = []
    for b, segs in pkts:
        lines = []
        i = 0
        for ln, cm in segs:
            if ln is None: ln = len(b) - i
            chunk = b[i:i+ln]; i += ln
            # compress long runs of one byte
            hx = chunk.hex()
            if len(chunk) > 24 and len(set(chunk)) == 1:
                hx = '%02x*%d' % (chunk[0], len(chunk))
            else:
                hx = ' '.join(hx[j:j+8] for j in range(0, len(hx), 8))
            lines.append('\t\t%s # %s' % (hx, cm))
        assert i == len(b), (name, i, len(b))
        res.append('`\n' + '\n'.join(lines) + '\n\t`')
    out.append('\t%q: {%s},' % (name, ', '.join(res)) if False else '\t"%s": {%s},' % (name, ', '.join(res)))

V6H = lambda c: (40, 'IPv6: ' + c)
V4H = lambda c: (20, 'IPv4: ' + c)
UDPH = lambda c='': (8, 'UDP' + c)
TCPH = lambda c='': (20, 'TCP' + c)
ICMPH = lambda c: (8, c)
PAY = (None, 'payload')

H6 = '2001:db8:6::5'; P7 = '64:ff9b::c633:6407'; V4H4 = '192.0.2.5'; S7 = '198.51.100.7'
data = b'hello xlat!!'

# A/B: UDP both ways
u6 = udp(1234, 53, data, ph6(H6, P7, 17, 20))
pa = ipv6(H6, P7, 17, u6)
u4 = udp(1234, 53, data, ph4(V4H4, S7, 17, 20))
ea = ipv4(V4H4, S7, 17, u4, ident=ids[0], ttl=63)
emit('6to4-udp', (pa, [V6H('tc 0, plen 20, nh UDP, hop 64, 2001:db8:6::5 -> 64:ff9b::198.51.100.7'), UDPH(' 1234->53 len 20, csum over IPv6 pseudo-header'), PAY]),
     (ea, [V4H('tos 0, len 40, id (PRNG seed 1), DF 0, ttl 63, UDP, 192.0.2.5 -> 198.51.100.7'), UDPH(' csum now over IPv4 pseudo-header'), PAY]))
ub4 = udp(53, 1234, data, ph4(S7, V4H4, 17, 20))
pb = ipv4(S7, V4H4, 17, ub4, ident=0x1234, ttl=64, tos=0x00)
ub6 = udp(53, 1234, data, ph6(P7, H6, 17, 20))
eb = ipv6(P7, H6, 17, ub6, hop=63)
emit('4to6-udp', (pb, [V4H('len 40, id 0x1234, ttl 64, UDP, 198.51.100.7 -> 192.0.2.5'), UDPH(' 53->1234'), PAY]),
     (eb, [V6H('tc 0, flow 0, plen 20, UDP, hop 63, 64:ff9b::c633:6407 -> 2001:db8:6::5 (EAMT)'), UDPH(' csum over IPv6 pseudo-header'), PAY]))

# C/D: TCP
t6 = tcp(40000, 80, data, ph6(H6, P7, 6, 32))
pc = ipv6(H6, P7, 6, t6, tc=0xb8)
t4 = tcp(40000, 80, data, ph4(V4H4, S7, 6, 32))
ec = ipv4(V4H4, S7, 6, t4, ident=ids[0], ttl=63, tos=0xb8)
emit('6to4-tcp', (pc, [V6H('tc 0xb8, plen 32, TCP, hop 64'), TCPH(' 40000->80 PSH|ACK'), PAY]),
     (ec, [V4H('tos 0xb8 (copied), len 52, id PRNG, ttl 63, TCP'), TCPH(' csum updated (RFC 1624)'), PAY]))
td4 = tcp(80, 40000, data, ph4(S7, V4H4, 6, 32))
pd = ipv4(S7, V4H4, 6, td4, ident=7, tos=0x2e<<2, ttl=5, flags_off=0x4000)
td6 = tcp(80, 40000, data, ph6(P7, H6, 6, 32))
ed = ipv6(P7, H6, 6, td6, tc=0x2e<<2, hop=4)
emit('4to6-tcp', (pd, [V4H('tos 0xb8, len 52, id 7, DF, ttl 5, TCP'), TCPH(), PAY]),
     (ed, [V6H('tc 0xb8 (copied), plen 32, TCP, hop 4 (no fragment header for DF=1)'), TCPH(' csum updated'), PAY]))

# E/F: echo
e6 = icmp(128, 0, 0x00420001, data, ph6(H6, P7, 58, 20))
pe = ipv6(H6, P7, 58, e6)
e4 = icmp(8, 0, 0x00420001, data)
ee = ipv4(V4H4, S7, 1, e4, ident=ids[0], ttl=63)
emit('6to4-echo', (pe, [V6H('plen 20, ICMPv6, hop 64'), ICMPH('ICMPv6 echo request id 0x42 seq 1'), PAY]),
     (ee, [V4H('len 40, ICMP, ttl 63'), ICMPH('ICMPv4 echo request (type 8), csum without pseudo-header'), PAY]))
f4 = icmp(0, 0, 0x00420001, data)
pf = ipv4(S7, V4H4, 1, f4, ident=9)
f6 = icmp(129, 0, 0x00420001, data, ph6(P7, H6, 58, 20))
ef = ipv6(P7, H6, 58, f6, hop=63)
emit('4to6-echo-reply', (pf, [V4H('len 40, id 9, ICMP'), ICMPH('ICMPv4 echo reply id 0x42 seq 1'), PAY]),
     (ef, [V6H('plen 20, ICMPv6, hop 63'), ICMPH('ICMPv6 echo reply (129), csum with pseudo-header'), PAY]))

# F2: an echo reply with id 0, seq 0 and no data becomes an ICMPv4 message of all zeros, whose
# checksum is 0xffff (the complement of a zero sum), not 0x0000.
ez6 = icmp(129, 0, 0, b'', ph6(H6, P7, 58, 8))
pez = ipv6(H6, P7, 58, ez6)
eez = ipv4(V4H4, S7, 1, icmp(0, 0, 0, b''), ident=ids[0], ttl=63)
emit('6to4-echo-reply-zero', (pez, [V6H('plen 8, ICMPv6, hop 64'), ICMPH('ICMPv6 echo reply id 0 seq 0, no data')]),
     (eez, [V4H('len 28, ICMP, ttl 63'), ICMPH('ICMPv4 echo reply: all zero but the checksum, 0xffff')]))

# G: hop limit 1 -> ICMPv6 time exceeded from SelfV6
SELF6 = '2001:db8:ffff::1'; SELF4 = '203.0.113.1'
pg = ipv6(H6, P7, 17, u6, hop=1)
te = icmp(3, 0, 0, pg, ph6(SELF6, H6, 58, 8+len(pg)))
eg = ipv6(SELF6, H6, 58, te, hop=64)
emit('6to4-hop-limit', (pg, [V6H('hop limit 1'), UDPH(), PAY]),
     (eg, [V6H('from SelfV6 2001:db8:ffff::1 to the source, ICMPv6, hop 64'), ICMPH('ICMPv6 Time Exceeded code 0'), (None, 'the original packet')]))

# H: ttl 1 -> ICMPv4 time exceeded from SelfV4 (id = first PRNG value)
ph_ = ipv4(S7, V4H4, 17, ub4, ident=0x1234, ttl=1)
te4 = icmp(11, 0, 0, ph_)
eh = ipv4(SELF4, S7, 1, te4, ident=ids[0], ttl=64)
emit('4to6-ttl', (ph_, [V4H('ttl 1'), UDPH(), PAY]),
     (eh, [V4H('from SelfV4 203.0.113.1 to the source, id PRNG, ttl 64, ICMP'), ICMPH('ICMPv4 Time Exceeded code 0'), (None, 'the original packet')]))

# I: segments left != 0 -> parameter problem pointer 43
rh = struct.pack('!BBBB4x', 17, 0, 4, 1)
pi = ipv6(H6, P7, 43, rh + u6)
pp = icmp(4, 0, 43, pi, ph6(SELF6, H6, 58, 8+len(pi)))
ei = ipv6(SELF6, H6, 58, pp)
emit('6to4-segments-left', (pi, [V6H('nh routing'), (8, 'routing header: nh UDP, len 0, type 4, segments left 1'), UDPH(), PAY]),
     (ei, [V6H('from SelfV6'), ICMPH('ICMPv6 Parameter Problem code 0, pointer 43 (segments left)'), (None, 'the original packet')]))

# J: IPv6 fragment -> IPv4 fragment fields
whole = data + b'0123456789ab'  # 24 bytes data, UDP len 32
uw6 = udp(1234, 53, whole, ph6(H6, P7, 17, 32))
frag1 = uw6[:24]  # UDP header + 16 bytes
fh = struct.pack('!BBHI', 17, 0, (0 << 3) | 1, 0xabcd1234)
pj = ipv6(H6, P7, 44, fh + frag1)
uw4 = udp(1234, 53, whole, ph4(V4H4, S7, 17, 32))
ej = ipv4(V4H4, S7, 17, uw4[:24], ident=0x1234, flags_off=0x2000, ttl=63)
emit('6to4-fragment', (pj, [V6H('nh fragment'), (8, 'fragment header: nh UDP, offset 0, M=1, id 0xabcd1234'), UDPH(' len 32 (whole datagram), csum of the whole datagram'), PAY]),
     (ej, [V4H('len 44, id 0x1234 (low 16 bits), MF, offset 0, ttl 63'), UDPH(' csum updated for the IPv4 pseudo-header'), PAY]))

# K: IPv4 fragment (offset 16 bytes, MF=0, non-first) -> fragment header
pk = ipv4(S7, V4H4, 17, b'ABCDEFGHIJKLMNOP', ident=0x4321, flags_off=2, ttl=64)
fk = struct.pack('!BBHI', 17, 0, (2 << 3) | 0, 0x4321)
ek = ipv6(P7, H6, 44, fk + b'ABCDEFGHIJKLMNOP', hop=63)
emit('4to6-fragment', (pk, [V4H('len 36, id 0x4321, offset 2 (16 bytes), MF 0'), (None, 'payload (not first fragment)')]),
     (ek, [V6H('plen 24, nh fragment, hop 63'), (8, 'fragment header: nh UDP, offset 2, M=0, id 0x00004321'), (None, 'payload')]))

# L: DF=1, too big for the IPv6 MTU (oracle says 1400) -> Frag Needed, MTU 1380
big = b'\0' * (1400 - 28)
ul4 = udp(53, 1234, big, ph4(S7, V4H4, 17, 8+len(big)))
pl_ = ipv4(S7, V4H4, 17, ul4, ident=0x55, flags_off=0x4000)
fn = icmp(3, 4, 1380, pl_[:548])
el_ = ipv4(SELF4, S7, 1, fn, ident=ids[0], ttl=64)
emit('4to6-frag-needed', (pl_, [V4H('len 1400, DF'), UDPH(), PAY]),
     (el_, [V4H('len 576, from SelfV4, ICMP'), ICMPH('ICMPv4 Dest Unreachable / Fragmentation Needed, MTU 1380 (1400 - 20)'), (None, 'first 548 bytes of the original')]))

# M: IPv6 packet whose IPv4 form exceeds the IPv4 MTU (oracle 1300) -> PTB 1320
bigm = b'\0' * (1400 - 48)
um6 = udp(1234, 53, bigm, ph6(H6, P7, 17, 8+len(bigm)))
pm = ipv6(H6, P7, 17, um6)
ptb = icmp(2, 0, 1320, pm[:1232], ph6(SELF6, H6, 58, 1240))
em = ipv6(SELF6, H6, 58, ptb)
emit('6to4-ptb', (pm, [V6H('plen 1360'), UDPH(), PAY]),
     (em, [V6H('plen 1240, from SelfV6'), ICMPH('ICMPv6 Packet Too Big, MTU 1320 (1300 + 20)'), (None, 'first 1232 bytes of the original')]))

# N: DF=0, 1500 bytes, lowest-ipv6-mtu 1280 -> two IPv6 fragments (1232 + 248 bytes)
bign = b'\0' * 1472
un4 = udp(53, 1234, bign, ph4(S7, V4H4, 17, 1480))
pn = ipv4(S7, V4H4, 17, un4, ident=0x77)
un6 = udp(53, 1234, bign, ph6(P7, H6, 17, 1480))
f1 = ipv6(P7, H6, 44, struct.pack('!BBHI', 17, 0, 1, 0x77) + un6[:1232], hop=63)
f2 = ipv6(P7, H6, 44, struct.pack('!BBHI', 17, 0, (154 << 3), 0x77) + un6[1232:], hop=63)
emit('4to6-fragmenting', (pn, [V4H('len 1500, id 0x77, DF 0'), UDPH(), PAY]),
     (f1, [V6H('plen 1240, nh fragment, hop 63'), (8, 'fragment header: offset 0, M=1, id 0x77'), UDPH(' csum updated'), PAY]),
     (f2, [V6H('plen 256, nh fragment'), (8, 'fragment header: offset 154 (1232 bytes), M=0, id 0x77'), PAY]))

# O: ICMPv4 port unreachable about a UDP packet -> ICMPv6 port unreachable
inner4 = ipv4(V4H4, S7, 17, u4, ident=0x99, ttl=62)
po_ = ipv4(S7, V4H4, 1, icmp(3, 3, 0, inner4), ident=0x10, ttl=64)
inner6 = ipv6(H6, P7, 17, udp(1234, 53, data, ph6(H6, P7, 17, 20)), hop=62)
eo = ipv6(P7, H6, 58, icmp(1, 4, 0, inner6, ph6(P7, H6, 58, 8+len(inner6))), hop=63)
emit('4to6-icmp-error', (po_, [V4H('198.51.100.7 -> 192.0.2.5, ICMP'), ICMPH('ICMPv4 Dest Unreachable / Port Unreachable'), V4H('inner: 192.0.2.5 -> 198.51.100.7, ttl 62, UDP'), UDPH(' inner'), PAY]),
     (eo, [V6H('64:ff9b::198.51.100.7 -> 2001:db8:6::5, ICMPv6, hop 63'), ICMPH('ICMPv6 Dest Unreachable / Port Unreachable (code 4)'), V6H('inner: 2001:db8:6::5 -> 64:ff9b::198.51.100.7, hop 62 (not decremented)'), UDPH(' inner, csum updated'), PAY]))

# P: ICMPv6 PTB from an untranslatable router -> Frag Needed from the RFC 6791 pool
R6 = '2001:db8:1::1'; POOL6791 = '203.0.113.8'
innp6 = ipv6(P7, H6, 17, ub6, hop=63)
pp6 = ipv6(R6, P7, 58, icmp(2, 0, 1400, innp6, ph6(R6, P7, 58, 8+len(innp6))))
innp4 = ipv4(S7, V4H4, 17, ub4, ident=0, ttl=63)
ep = ipv4(POOL6791, S7, 1, icmp(3, 4, 1380, innp4), ident=ids[0], ttl=63)
emit('6to4-icmp-error-6791', (pp6, [V6H('2001:db8:1::1 (untranslatable) -> 64:ff9b::198.51.100.7, ICMPv6'), ICMPH('ICMPv6 Packet Too Big, MTU 1400'), V6H('inner: 64:ff9b::198.51.100.7 -> 2001:db8:6::5, hop 63'), UDPH(' inner'), PAY]),
     (ep, [V4H('203.0.113.8 (rfc6791v4-prefix /29, hop limit 64 & 7 = address 0) -> 198.51.100.7, id PRNG, ttl 63, ICMP'), ICMPH('ICMPv4 Frag Needed, MTU 1380'), V4H('inner: 198.51.100.7 -> 192.0.2.5, id 0, ttl 63'), UDPH(' inner, csum updated'), PAY]))

# P2: the same error arriving with hop limit 61: randomize-rfc6791-addresses off picks the
# (hop limit)th address of rfc6791v4-prefix, as Jool does (61 & 7 = 5 -> 203.0.113.13).
pp6h = ipv6(R6, P7, 58, icmp(2, 0, 1400, innp6, ph6(R6, P7, 58, 8+len(innp6))), hop=61)
eph = ipv4('203.0.113.13', S7, 1, icmp(3, 4, 1380, innp4), ident=ids[0], ttl=60)
emit('6to4-icmp-error-6791-hop61', (pp6h, [V6H('2001:db8:1::1 (untranslatable) -> 64:ff9b::198.51.100.7, ICMPv6, hop 61'), ICMPH('ICMPv6 Packet Too Big, MTU 1400'), V6H('inner: 64:ff9b::198.51.100.7 -> 2001:db8:6::5, hop 63'), UDPH(' inner'), PAY]),
     (eph, [V4H('203.0.113.13 (rfc6791v4-prefix /29, address 61 & 7 = 5) -> 198.51.100.7, id PRNG, ttl 60, ICMP'), ICMPH('ICMPv4 Frag Needed, MTU 1380'), V4H('inner: 198.51.100.7 -> 192.0.2.5, id 0, ttl 63'), UDPH(' inner, csum updated'), PAY]))

# P3: ICMPv4 Time Exceeded from an untranslatable router (no pool6): the source comes from
# rfc6791v6-prefix, at random even with randomize-rfc6791-addresses off, as in Jool. The PRNG (seed 1)
# is drawn for the high half (all prefix under a /64) and then for the low half.
r6 = R(1); r6.next(); lo6791 = r6.next()
SRC6791 = str(ipaddress.IPv6Address((0x20010db8679100000000000000000000) | lo6791))
RT4 = '198.51.100.1'; H6B = '2001:db8:6::6'
uin4 = udp(1234, 53, data, ph4(V4H4, '192.0.2.6', 17, 20))
in4 = ipv4(V4H4, '192.0.2.6', 17, uin4, ident=0x99, ttl=1)
pt4 = ipv4(RT4, V4H4, 1, icmp(11, 0, 0, in4), ident=0x10, ttl=64)
uin6 = udp(1234, 53, data, ph6(H6, H6B, 17, 20))
in6 = ipv6(H6, H6B, 17, uin6, hop=1)
et6 = ipv6(SRC6791, H6, 58, icmp(3, 0, 0, in6, ph6(SRC6791, H6, 58, 8+len(in6))), hop=63)
emit('4to6-icmp-error-6791', (pt4, [V4H('198.51.100.1 (untranslatable: no pool6) -> 192.0.2.5, ICMP'), ICMPH('ICMPv4 Time Exceeded'), V4H('inner: 192.0.2.5 -> 192.0.2.6, ttl 1, UDP'), UDPH(' inner'), PAY]),
     (et6, [V6H(SRC6791 + ' (rfc6791v6-prefix, random host part) -> 2001:db8:6::5, hop 63'), ICMPH('ICMPv6 Time Exceeded'), V6H('inner: 2001:db8:6::5 -> 2001:db8:6::6 (EAMT), hop 1'), UDPH(' inner, csum updated'), PAY]))

# Q: intrinsic hairpin 6->4->6
HP = '64:ff9b::c000:206'
uq6 = udp(1234, 53, data, ph6(H6, HP, 17, 20))
pq = ipv6(H6, HP, 17, uq6)
ueq = udp(1234, 53, data, ph6('64:ff9b::c000:205', '2001:db8:6::6', 17, 20))
eq = ipv6('64:ff9b::c000:205', '2001:db8:6::6', 17, ueq, hop=63)
emit('hairpin-intrinsic', (pq, [V6H('2001:db8:6::5 -> 64:ff9b::192.0.2.6 (pool6 form of an EAMT address)'), UDPH(), PAY]),
     (eq, [V6H('64:ff9b::192.0.2.5 (source back through pool6) -> 2001:db8:6::6 (EAMT), hop 63 (one decrement)'), UDPH(' csum updated twice'), PAY]))

# Q2: intrinsic and simple hairpinning of both fragments of one datagram (RFC 7757 §4.2: every
# fragment U-turns, not only the first). The fragment header survives the round trip as the
# IPv4 identification does: its low 16 bits (0x12345678 -> 0x5678).
HS = '64:ff9b::c000:205'; HD = '2001:db8:6::6'
hdata = bytes((i * 7 + 3) & 0xff for i in range(200))
uh6 = udp(1234, 53, hdata, ph6(H6, HP, 17, 208))      # whole datagram: 208 bytes
ueh = udp(1234, 53, hdata, ph6(HS, HD, 17, 208))      # same datagram, U-turned pseudo-header
def frag6(nh, off, mf, ident): return struct.pack('!BBHI', nh, 0, (off << 3) | mf, ident)
pf1 = ipv6(H6, HP, 44, frag6(17, 0, 1, 0x12345678) + uh6[:104])
pf2 = ipv6(H6, HP, 44, frag6(17, 13, 0, 0x12345678) + uh6[104:])
for hop, mode in ((63, 'intrinsic'), (62, 'simple')):
    sfx = '' if mode == 'intrinsic' else '-simple'
    hopc = 'hop 63 (one decrement)' if hop == 63 else 'hop 62 (simple mode: translated twice)'
    ef1 = ipv6(HS, HD, 44, frag6(17, 0, 1, 0x5678) + ueh[:104], hop=hop)
    ef2 = ipv6(HS, HD, 44, frag6(17, 13, 0, 0x5678) + ueh[104:], hop=hop)
    emit('hairpin-fragment-first' + sfx,
         (pf1, [V6H('2001:db8:6::5 -> 64:ff9b::192.0.2.6, nh fragment, hop 64'),
                (8, 'fragment header: nh UDP, offset 0, M=1, id 0x12345678'),
                UDPH(' 1234->53 len 208 (whole datagram), csum of the whole datagram'), PAY]),
         (ef1, [V6H('64:ff9b::192.0.2.5 -> 2001:db8:6::6, ' + hopc),
                (8, 'fragment header: offset 0, M=1, id 0x00005678 (IPv4 identification)'),
                UDPH(' csum of the whole datagram over the new pseudo-header'), PAY]))
    emit('hairpin-fragment-later' + sfx,
         (pf2, [V6H('2001:db8:6::5 -> 64:ff9b::192.0.2.6, nh fragment, hop 64'),
                (8, 'fragment header: nh UDP, offset 13 (104 bytes), M=0, id 0x12345678'),
                (None, 'payload (not first fragment)')]),
         (ef2, [V6H('64:ff9b::192.0.2.5 -> 2001:db8:6::6, ' + hopc),
                (8, 'fragment header: offset 13, M=0, id 0x00005678 (IPv4 identification)'),
                (None, 'payload, untouched')]))

# Q3: a big hairpinning packet (2040 bytes of IPv6, 2020 of IPv4 with DF). Intrinsic: the IPv4 MTU
# (1500) does not apply, the IPv6 egress one (9000) does -> U-turned whole; with an IPv6 egress MTU of
# 1500 -> Packet Too Big 1500 to the sender. Simple: the IPv4 side applies too -> PTB 1520 (1500 + 20).
bigh = b'\0' * 1992
ubh6 = udp(1234, 53, bigh, ph6(H6, HP, 17, 2000))
pbh = ipv6(H6, HP, 17, ubh6)
ebh = ipv6(HS, HD, 17, udp(1234, 53, bigh, ph6(HS, HD, 17, 2000)), hop=63)
BIGIN = [V6H('2001:db8:6::5 -> 64:ff9b::192.0.2.6, plen 2000'), UDPH(' 1234->53 len 2000'), PAY]
emit('hairpin-big', (pbh, BIGIN),
     (ebh, [V6H('64:ff9b::192.0.2.5 -> 2001:db8:6::6, plen 2000, hop 63'), UDPH(' csum updated twice'), PAY]))
for name, mtu, why in (('hairpin-big-ptb6', 1500, 'MTU 1500 (IPv6 egress of the U-turn)'),
                       ('hairpin-big-simple-ptb4', 1520, 'MTU 1520 (IPv4 egress 1500 + 20)')):
    q = pbh[:1232]
    ptbh = icmp(2, 0, mtu, q, ph6(SELF6, H6, 58, 8 + len(q)))
    eptb = ipv6(SELF6, H6, 58, ptbh)
    emit(name, (pbh, BIGIN),
         (eptb, [V6H('plen 1240, from SelfV6 to the sender'), ICMPH('ICMPv6 Packet Too Big, ' + why),
                 (40, 'quoted: the IPv6 header as received'), (8, 'quoted: UDP header as received'),
                 (None, 'quoted: first 1184 bytes of the payload')]))

# S: unexpired loose source route -> ICMPv4 3/5
opts = bytes([0x83, 7, 4]) + a4('192.0.2.1') + bytes([1])
ps = ipv4(S7, V4H4, 17, ub4, ident=0x1234, opts=opts)
es_ = ipv4(SELF4, S7, 1, icmp(3, 5, 0, ps), ident=ids[0], ttl=64)
emit('4to6-source-route', (ps, [(28, 'IPv4: IHL 7'), (None, 'LSRR option (ptr 4 <= len 7: unexpired), NOP, UDP')]),
     (es_, [V4H('from SelfV4'), ICMPH('ICMPv4 Dest Unreachable / Source Route Failed'), (None, 'the original packet')]))

# S2: the same with TTL 1: Jool 4.1 checks the source route before the TTL (ttp46_ipv6; only
# Jool 4.0 and older check the TTL first), so the answer is still Source Route Failed.
opts = bytes([0x83, 7, 4]) + a4('192.0.2.1') + bytes([1])
ps1 = ipv4(S7, V4H4, 17, ub4, ident=0x1234, opts=opts, ttl=1)
es1 = ipv4(SELF4, S7, 1, icmp(3, 5, 0, ps1), ident=ids[0], ttl=64)
emit('4to6-source-route-ttl1', (ps1, [(28, 'IPv4: IHL 7, TTL 1'), (None, 'LSRR option (unexpired), NOP, UDP')]),
     (es1, [V4H('from SelfV4'), ICMPH('ICMPv4 Dest Unreachable / Source Route Failed (not Time Exceeded)'), (None, 'the original packet')]))

# T: other options (record route) are dropped
opts = bytes([7, 7, 4]) + b'\0\0\0\0' + bytes([0])
pt = ipv4(S7, V4H4, 17, ub4, ident=0x1234, opts=opts)
emit('4to6-options', (pt, [(28, 'IPv4: IHL 7, record route option + end of options'), UDPH(), PAY]),
     (eb, [V6H('no trace of the options'), UDPH(), PAY]))

# U: override-tos (6->4), zeroize-traffic-class (4->6)
pu = ipv6(H6, P7, 17, u6, tc=0xb8)
eu = ipv4(V4H4, S7, 17, u4, ident=ids[0], ttl=63, tos=0x28)
emit('6to4-override-tos', (pu, [V6H('tc 0xb8'), UDPH(), PAY]), (eu, [V4H('tos 0x28 (override-tos, tos 40)'), UDPH(), PAY]))
pu4 = ipv4(S7, V4H4, 17, ub4, ident=0x1234, tos=0xb8)
emit('4to6-zeroize-tc', (pu4, [V4H('tos 0xb8'), UDPH(), PAY]), (eb, [V6H('tc 0 (zeroize-traffic-class)'), UDPH(), PAY]))

# V: UDP zero checksum, amend-udp-checksum-zero on
pv = ipv4(S7, V4H4, 17, udp(53, 1234, data, zero=True), ident=0x1234)
emit('4to6-udp-zero-csum', (pv, [V4H(''), UDPH(' checksum 0'), PAY]), (eb, [V6H(''), UDPH(' checksum computed'), PAY]))

# W: pool6 /48 (RFC 6052 §2.2): 192.0.2.5 <-> 2001:db8:122:c000:2:500::
P48S = '2001:db8:122:c633:64:700::'  # 198.51.100.7 under 2001:db8:122::/48
uw = udp(53, 1234, data, ph6(P48S, H6, 17, 20))
ew = ipv6(P48S, H6, 17, uw, hop=63)
emit('4to6-pool6-48', (pb, [V4H('198.51.100.7 -> 192.0.2.5'), UDPH(), PAY]),
     (ew, [V6H('2001:db8:122:c633:0064:0700:: (198.51.100.7 around the u-octet)'), UDPH(), PAY]))


# X: a Frag Needed with MTU 0 (a router older than RFC 1191): the MTU is estimated from mtu-plateaus,
# the largest plateau below the quoted packet's total length (4000 -> 2002), + 20. IPv6 and IPv4 MTUs
# of 9000 (oracle) leave it at that.
zin = b'\0' * 3972
xin4 = ipv4(V4H4, S7, 17, udp(1234, 53, zin, ph4(V4H4, S7, 17, 3980)), ident=0x99, ttl=62, flags_off=0x4000)
px = ipv4(S7, V4H4, 1, icmp(3, 4, 0, xin4[:28]), ident=0x10, ttl=64)
xin6 = ipv6(H6, P7, 17, udp(1234, 53, zin, ph6(H6, P7, 17, 3980)), hop=62)
ex = ipv6(P7, H6, 58, icmp(2, 0, 2022, xin6[:48], ph6(P7, H6, 58, 56)), hop=63)
emit('4to6-frag-needed-plateau', (px, [V4H('198.51.100.7 -> 192.0.2.5, ICMP'), ICMPH('ICMPv4 Frag Needed, next-hop MTU 0'),
                                      V4H('inner: total length 4000, DF, ttl 62, UDP'), UDPH(' inner, first 8 bytes only')]),
     (ex, [V6H('64:ff9b::198.51.100.7 -> 2001:db8:6::5, ICMPv6, hop 63'), ICMPH('ICMPv6 Packet Too Big, MTU 2022 (plateau 2002 + 20)'),
           V6H('inner: payload length 3980 (as claimed), hop 62'), UDPH(' inner, csum updated')]))

# Y: an ICMPv6 error quoting a whole 1232-byte packet: the ICMPv4 error is cut to 576 bytes
# (RFC 7915 §5.3, RFC 1812 §4.3.2.3). The inner IPv4 header keeps the length the packet had.
ydata = bytes((i * 13 + 5) & 0xff for i in range(1184))
yin6 = ipv6(P7, H6, 17, udp(53, 1234, ydata, ph6(P7, H6, 17, 1192)), hop=63)
py = ipv6(H6, P7, 58, icmp(1, 4, 0, yin6, ph6(H6, P7, 58, 8 + len(yin6))))
yin4 = ipv4(S7, V4H4, 17, udp(53, 1234, ydata, ph4(S7, V4H4, 17, 1192)), ident=0, ttl=63)
ey = ipv4(V4H4, S7, 1, icmp(3, 3, 0, yin4[:548]), ident=ids[0], ttl=63)
emit('6to4-icmp-error-576', (py, [V6H('2001:db8:6::5 -> 64:ff9b::198.51.100.7, plen 1240, ICMPv6 (1280 bytes in all)'),
                                 ICMPH('ICMPv6 Dest Unreachable / Port Unreachable'), V6H('inner: 64:ff9b::198.51.100.7 -> 2001:db8:6::5, plen 1192'),
                                 UDPH(' inner'), PAY]),
     (ey, [V4H('len 576, 192.0.2.5 -> 198.51.100.7, id PRNG, ttl 63, ICMP'), ICMPH('ICMPv4 Dest Unreachable / Port Unreachable'),
           V4H('inner: len 1212 (as claimed), id 0, DF 0, ttl 63'), UDPH(' inner, csum of the whole datagram over the IPv4 pseudo-header'),
           (None, 'inner payload, cut after 548 bytes of the inner packet')]))

# Z: RFC 4884 in the 6->4 direction: a 128-byte datagram (16 64-bit words) and an extension. The
# translated datagram is 108 bytes; it is zero-padded to 128 (the RFC 4884 minimum) and the length
# field, now in 32-bit words (32), moves to the second byte of the ICMPv4 header.
zdata = bytes(range(80))
zin6 = ipv6(P7, H6, 17, udp(53, 1234, zdata, ph6(P7, H6, 17, 88)), hop=63)
zext = bytes.fromhex('2000000000080101')
pz = ipv6(H6, P7, 58, icmp(1, 4, 16 << 24, zin6 + zext, ph6(H6, P7, 58, 8 + len(zin6) + len(zext))))
zin4 = ipv4(S7, V4H4, 17, udp(53, 1234, zdata, ph4(S7, V4H4, 17, 88)), ident=0, ttl=63)
ez = ipv4(V4H4, S7, 1, icmp(3, 3, 32 << 16, zin4 + b'\0' * 20 + zext), ident=ids[0], ttl=63)
emit('6to4-icmp-error-rfc4884', (pz, [V6H('2001:db8:6::5 -> 64:ff9b::198.51.100.7, ICMPv6'),
                                     ICMPH('ICMPv6 Dest Unreachable / Port Unreachable, length 16 (64-bit words)'),
                                     V6H('inner'), UDPH(' inner'), (80, 'inner payload'), (8, 'RFC 4884 extension (opaque)')]),
     (ez, [V4H('192.0.2.5 -> 198.51.100.7, id PRNG, ttl 63, ICMP'), ICMPH('ICMPv4 Port Unreachable, length 32 (32-bit words) in byte 5'),
           V4H('inner'), UDPH(' inner'), (80, 'inner payload'), (20, 'zero padding to 128 bytes'), (8, 'the extension, moved')]))
pz2 = ipv6(H6, P7, 58, icmp(1, 4, 32 << 24, zin6 + zext, ph6(H6, P7, 58, 8 + len(zin6) + len(zext))))
emit('6to4-icmp-error-rfc4884-too-long', (pz2, [V6H('2001:db8:6::5 -> 64:ff9b::198.51.100.7, ICMPv6'),
                                               ICMPH('ICMPv6 Dest Unreachable, length 32 words (256 bytes): more than the 136 that follow'),
                                               (None, 'inner datagram and extension')]))

# Z2: the ICMPv4 error of P3 without rfc6791v6-prefix: the source is the translator's own (SelfV6); the
# PRNG is not drawn. Without SelfV6 either the error is dropped (see the cases).
et6s = ipv6(SELF6, H6, 58, icmp(3, 0, 0, in6, ph6(SELF6, H6, 58, 8+len(in6))), hop=63)
emit('4to6-icmp-error-6791-self', (pt4, [V4H('198.51.100.1 (untranslatable: no pool6) -> 192.0.2.5, ICMP'), ICMPH('ICMPv4 Time Exceeded'), V4H('inner: 192.0.2.5 -> 192.0.2.6, ttl 1, UDP'), UDPH(' inner'), PAY]),
     (et6s, [V6H('2001:db8:ffff::1 (SelfV6) -> 2001:db8:6::5, hop 63'), ICMPH('ICMPv6 Time Exceeded'), V6H('inner: 2001:db8:6::5 -> 2001:db8:6::6 (EAMT), hop 1'), UDPH(' inner, csum updated'), PAY]))

# AA: 6->4 whose IPv4 form is 1261 bytes: DF set (RFC 7915 §5.1 as updated by RFC 8021), ID from the PRNG.
adata = bytes((i * 7) & 0xff for i in range(1233))
pa2 = ipv6(H6, P7, 17, udp(1234, 53, adata, ph6(H6, P7, 17, 1241)))
ea2 = ipv4(V4H4, S7, 17, udp(1234, 53, adata, ph4(V4H4, S7, 17, 1241)), ident=ids[0], ttl=63, flags_off=0x4000)
emit('6to4-udp-df', (pa2, [V6H('plen 1241'), UDPH(' len 1241'), PAY]),
     (ea2, [V4H('len 1261 (> 1260): DF 1, id PRNG, ttl 63'), UDPH(' csum updated'), PAY]))

# AB: hop-by-hop options, a routing header with segments left 0 and destination options are skipped.
hbh = struct.pack('!BBBB4x', 43, 0, 1, 4)        # nh routing, len 0, PadN of 4
rt0 = struct.pack('!BBBB4x', 60, 0, 4, 0)        # nh destination options, len 0, type 4, segments left 0
dst = struct.pack('!BBBB4x', 17, 0, 1, 4)        # nh UDP, len 0, PadN of 4
pab = ipv6(H6, P7, 0, hbh + rt0 + dst + u6)
emit('6to4-ext-headers', (pab, [V6H('nh hop-by-hop'), (8, 'hop-by-hop: nh routing, PadN'), (8, 'routing: nh destination options, type 4, segments left 0'),
                               (8, 'destination options: nh UDP, PadN'), UDPH(), PAY]),
     (ea, [V4H('no trace of the extension headers, id PRNG, ttl 63'), UDPH(), PAY]))

# AC: a chain of 16 destination-options headers is walked; 17 are one too many (a counted drop).
def dchain(n): return b''.join(struct.pack('!BBBB4x', 60 if i < n - 1 else 17, 0, 1, 4) for i in range(n))
pac = ipv6(H6, P7, 60, dchain(16) + u6)
emit('6to4-ext-chain-16', (pac, [V6H('nh destination options'), (128, '16 destination-options headers, the last with nh UDP'), UDPH(), PAY]),
     (ea, [V4H('id PRNG, ttl 63'), UDPH(), PAY]))
pad = ipv6(H6, P7, 60, dchain(17) + u6)
emit('6to4-ext-chain-17', (pad, [V6H('nh destination options'), (136, '17 destination-options headers'), UDPH(), PAY]))

# AD: errors about errors are dropped (RFC 7915 §4.3, §5.3 only translate one level; Jool drops them).
dd6 = ipv6(P7, H6, 58, icmp(1, 4, 0, yin6[:48], ph6(P7, H6, 58, 56)), hop=63)
pdd6 = ipv6(H6, P7, 58, icmp(1, 4, 0, dd6, ph6(H6, P7, 58, 8 + len(dd6))))
emit('6to4-icmp-error-about-error', (pdd6, [V6H('ICMPv6'), ICMPH('ICMPv6 Port Unreachable'), V6H('inner: ICMPv6'),
                                           ICMPH('inner: ICMPv6 Port Unreachable'), (None, 'the quoted packet of the inner error')]))
dd4 = ipv4(V4H4, S7, 1, icmp(3, 3, 0, inner4[:28]), ident=0x98, ttl=62)
pdd4 = ipv4(S7, V4H4, 1, icmp(3, 3, 0, dd4), ident=0x10)
emit('4to6-icmp-error-about-error', (pdd4, [V4H('ICMP'), ICMPH('ICMPv4 Port Unreachable'), V4H('inner: ICMP'),
                                           ICMPH('inner: ICMPv4 Port Unreachable'), (None, 'the quoted packet of the inner error')]))

# AE: a UDP fragment with checksum 0 cannot get a checksum, amend-udp-checksum-zero or not.
pae = ipv4(S7, V4H4, 17, udp(53, 1234, data, zero=True), ident=0x1234, flags_off=0x2000)
emit('4to6-udp-zero-csum-fragment', (pae, [V4H('MF, offset 0'), UDPH(' checksum 0'), PAY]))

# AF: 4->6 fragmenting when the IPv6 egress MTU (1300) is below lowest-ipv6-mtu (1400): the smaller
# wins; 1300 - 48 = 1252, rounded down to 1248 bytes per fragment.
f1e = ipv6(P7, H6, 44, struct.pack('!BBHI', 17, 0, 1, 0x77) + un6[:1248], hop=63)
f2e = ipv6(P7, H6, 44, struct.pack('!BBHI', 17, 0, (156 << 3), 0x77) + un6[1248:], hop=63)
emit('4to6-fragmenting-egress', (pn, [V4H('len 1500, id 0x77, DF 0'), UDPH(), PAY]),
     (f1e, [V6H('plen 1256, nh fragment, hop 63'), (8, 'fragment header: offset 0, M=1, id 0x77'), UDPH(' csum updated'), PAY]),
     (f2e, [V6H('plen 240, nh fragment'), (8, 'fragment header: offset 156 (1248 bytes), M=0, id 0x77'), PAY]))

# AG: the EAMT comes before pool6 in 6->4 too: 64:ff9b::198.51.100.7 lies in pool6 and in an EAMT entry
# 64:ff9b::c633:6400/120 <-> 203.0.113.0/24; the entry wins.
EA7 = '203.0.113.7'
eag = ipv4(V4H4, EA7, 17, udp(1234, 53, data, ph4(V4H4, EA7, 17, 20)), ident=ids[0], ttl=63)
emit('6to4-eamt-before-pool6', (pa, [V6H('2001:db8:6::5 -> 64:ff9b::198.51.100.7 (pool6 and EAMT)'), UDPH(), PAY]),
     (eag, [V4H('192.0.2.5 -> 203.0.113.7 (EAMT), id PRNG, ttl 63'), UDPH(' csum updated'), PAY]))

# AH: inputs of counted drops: the error of Z2 with no source at all (no pool6, no rfc6791v6-prefix, no
# SelfV6), and AF's packet when the IPv6 egress MTU is below the IPv6 minimum.
emit('4to6-icmp-error-no-source', (pt4, [V4H('198.51.100.1 (untranslatable) -> 192.0.2.5, ICMP'), ICMPH('ICMPv4 Time Exceeded'), (None, 'the quoted packet')]))
emit('4to6-bad-mtu', (pn, [V4H('len 1500, id 0x77, DF 0'), UDPH(), PAY]))

print('package xlat\n\n// Code generated by testdata/gen_golden.py (python3 testdata/gen_golden.py > golden_packets_test.go); DO NOT EDIT.\n// Expected packets are built field by field there, independently of the\n// translator, with checksums from a plain RFC 1071 loop.\n\nvar goldenPackets = map[string][]string{')
print('\n'.join(out))
print('}')
