package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/siit-project/siit/bench/frames"
	"github.com/siit-project/siit/bench/gen"
	"github.com/siit-project/siit/bench/netns"
	"github.com/siit-project/siit/bench/pcap"
	"github.com/siit-project/siit/bench/xdpprog"
)

func cmdGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("siit bench gen", flag.ContinueOnError)
	iface := fs.String("i", "", "interface the frames leave through (required)")
	nsName := fs.String("netns", "", "named network namespace (ip netns) the interface is in")
	src := fs.String("src", "2001:db8:64::c000:201", "source address (its family selects IPv4 or IPv6)")
	dst := fs.String("dst", "2001:db8:64::cb00:7101", "destination address")
	srcMAC := fs.String("src-mac", "", "source MAC (default: the interface's)")
	dstMAC := fs.String("dst-mac", "", "destination MAC, i.e. the DUT's (required unless -pcap)")
	proto := fs.String("proto", "udp", "udp, tcp or icmp (echo request)")
	size := fs.Int("size", 84, "RFC 2544 frame size in bytes, FCS included (IPv4 min 64, IPv6 min 84)")
	flows := fs.Int("flows", 256, "source ports (ICMP: echo identifiers) cycled through")
	addrFlows := fs.Int("addr-flows", 1, "values taken by the last source address octet")
	sport := fs.Int("sport", 1024, "first source port")
	dport := fs.Int("dport", 9, "destination port")
	rate := fs.Float64("rate", 0, "frames per second in total, both legs with -i2 (0: full speed)")
	count := fs.Uint64("count", 0, "frames to send in total, both legs with -i2 (0: until -duration)")
	dur := fs.Duration("duration", 5*time.Second, "how long to send when -count is 0")
	cpus := fs.String("cpus", "0", "CPUs running one sending thread each, e.g. 0,1")
	ts := fs.Bool("ts", false, "stamp the transmit time in every frame (for the sink's latency)")
	trial := fs.Uint("trial", 1, "trial id written into stamps (the sink counts only its own trial id)")
	pcapFile := fs.String("pcap", "", "replay the Ethernet frames of this pcap file instead of a template")
	// The second port of a bidirectional test (RFC 8219 §4): its own frames, alternating with the first port's.
	iface2 := fs.String("i2", "", "second port: also send the return leg out of this interface (bidirectional test)")
	nsName2 := fs.String("netns2", "", "named network namespace of -i2 (default: -netns)")
	src2 := fs.String("src2", "203.0.113.1", "source address of the -i2 leg")
	dst2 := fs.String("dst2", "192.0.2.1", "destination address of the -i2 leg")
	srcMAC2 := fs.String("src-mac2", "", "source MAC of the -i2 leg (default: -i2's)")
	dstMAC2 := fs.String("dst-mac2", "", "destination MAC of the -i2 leg, i.e. the DUT's other port (required with -i2)")
	size2 := fs.Int("size2", 0, "frame size of the -i2 leg (0: -size, 20 bytes less for IPv4 and more for IPv6 when "+
		"the legs' families differ, RFC 8219)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *iface == "" {
		return usageError{errors.New("-i is required")}
	}
	cpuList, err := parseCPUs(*cpus)
	if err != nil {
		return err
	}
	var ns *netns.NS
	if *nsName != "" {
		ns = &netns.NS{Name: *nsName}
	}
	ifc, err := lookupIface(ns, *iface)
	if err != nil {
		return err
	}
	var streams []*gen.Stream
	defer func() {
		for _, s := range streams {
			s.Close()
		}
	}()
	frameSize := *size
	var ifc2 *net.Interface
	var ns2 *netns.NS
	if *iface2 != "" {
		if *pcapFile != "" {
			return usageError{errors.New("-i2 sends templates; it cannot be combined with -pcap")}
		}
		ns2 = ns
		if *nsName2 != "" {
			ns2 = &netns.NS{Name: *nsName2}
		}
		if ifc2, err = lookupIface(ns2, *iface2); err != nil {
			return err
		}
	}
	if *pcapFile != "" {
		if streams, frameSize, err = pcapStreams(*pcapFile, uint8(*trial)); err != nil {
			return err
		}
	} else {
		common := frames.Spec{Flows: *flows, AddrFlows: *addrFlows, SrcPort: uint16(*sport), DstPort: uint16(*dport),
			Timestamp: *ts}
		if common.Proto, err = frames.ParseProto(*proto); err != nil {
			return usageError{err}
		}
		t, err := legTemplate(common, "", ifc, *src, *dst, *srcMAC, *dstMAC, *size, nil)
		if err != nil {
			return err
		}
		legs := []*frames.Template{t}
		if ifc2 != nil {
			t2, err := legTemplate(common, "2", ifc2, *src2, *dst2, *srcMAC2, *dstMAC2, *size2, t)
			if err != nil {
				return err
			}
			legs = append(legs, t2)
			frameSize = (frameSize + t2.Spec.FrameSize) / 2
		}
		s, err := gen.NewInterleaved(legs, uint8(*trial))
		if err != nil {
			return err
		}
		streams = append(streams, s)
		if ifc2 != nil {
			// The devmap entry names -i2 by its index in its own namespace: resolve it there.
			setPort := func() error { return s.Prog.SetPort(1, ifc2.Index) }
			if ns2 != nil {
				err = ns2.Do(setPort)
			} else {
				err = setPort()
			}
			if err != nil {
				return err
			}
		}
	}
	cfg := gen.Config{Ifindex: ifc.Index, Streams: streams, CPUs: cpuList, Rate: *rate, Count: *count}
	if *count == 0 {
		cfg.Duration = *dur
	}
	if ns != nil {
		cfg.ThreadSetup = ns.Enter
	}
	on := fmt.Sprintf("%s (ifindex %d)", *iface, ifc.Index)
	if ifc2 != nil {
		on += fmt.Sprintf(" and %s (ifindex %d), alternating", *iface2, ifc2.Index)
	}
	fmt.Fprintf(stderr, "sending on %s with %d thread(s)...\n", on, len(cpuList))
	res, err := gen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "offered %d frames in %.3f s: %.3f Mpps, %.3f Gbit/s (frames incl. FCS), %.3f Gbit/s (L1, +20 B/frame)\n",
		res.Sent, res.Elapsed.Seconds(), res.PPS()/1e6, res.BPS(frameSize, false)/1e9, res.BPS(frameSize, true)/1e9)
	for i, n := range res.PerThread {
		fmt.Fprintf(stdout, "  cpu %d: %d frames\n", cpuList[i], n)
	}
	if ifc2 != nil {
		for leg, name := range []string{*iface, *iface2} {
			fmt.Fprintf(stdout, "  leg %d (out of %s): %d frames\n", leg+1, name, legShare(res.PerThread, 2, leg))
		}
	}
	return nil
}

// legTemplate builds the frames of one leg from the flags shared by the legs (common) and the leg's own (their
// names end in sfx). For a second leg, size 0 takes the first leg's (first) size: 20 bytes less when this leg is
// IPv4 and the first IPv6, 20 more the other way round, so that both carry the same payload (RFC 8219).
func legTemplate(common frames.Spec, sfx string, ifc *net.Interface, src, dst, srcMAC, dstMAC string, size int,
	first *frames.Template) (*frames.Template, error) {
	spec := common
	spec.SrcMAC = ifc.HardwareAddr
	var err error
	if spec.Src, err = netip.ParseAddr(src); err != nil {
		return nil, usageError{fmt.Errorf("parse -src%s: %w", sfx, err)}
	}
	if spec.Dst, err = netip.ParseAddr(dst); err != nil {
		return nil, usageError{fmt.Errorf("parse -dst%s: %w", sfx, err)}
	}
	if srcMAC != "" {
		if spec.SrcMAC, err = net.ParseMAC(srcMAC); err != nil {
			return nil, usageError{fmt.Errorf("parse -src-mac%s: %w", sfx, err)}
		}
	}
	if spec.DstMAC, err = net.ParseMAC(dstMAC); err != nil {
		return nil, usageError{fmt.Errorf("parse -dst-mac%s (the DUT's MAC is required): %w", sfx, err)}
	}
	spec.FrameSize = size
	if size == 0 && first != nil {
		fam := 6
		if spec.Src.Is4() {
			fam = 4
		}
		spec.FrameSize = frames.PairedSize(first.Spec.FrameSize, first.Family(), fam)
	}
	t, err := frames.Build(spec)
	if err != nil {
		return nil, usageError{fmt.Errorf("leg%s: %w", sfx, err)}
	}
	return t, nil
}

// legShare is how many of the frames the threads sent (perThread) belong to leg k of n: every thread's program
// counts its own sequence from 0 and sends leg seq % n.
func legShare(perThread []uint64, n, k int) uint64 {
	var sum uint64
	for _, v := range perThread {
		sum += (v + uint64(n-1-k)) / uint64(n)
	}
	return sum
}

func lookupIface(ns *netns.NS, name string) (*net.Interface, error) {
	var ifc *net.Interface
	look := func() (err error) {
		ifc, err = net.InterfaceByName(name)
		if err != nil {
			return fmt.Errorf("look up interface %s: %w", name, err)
		}
		return nil
	}
	if ns == nil {
		return ifc, look()
	}
	return ifc, ns.Do(look)
}

// pcapStreams groups the capture's Ethernet frames by length (a live-frame run has one length) into streams of
// at most xdpprog.MaxTemplates frames; each frame's first 128 bytes are restored on every send, the rest of a
// frame comes from the first frame of its stream. It returns the average RFC 2544 frame size.
func pcapStreams(path string, trial uint8) ([]*gen.Stream, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open pcap: %w", err)
	}
	defer f.Close()
	capf, err := pcap.Read(f)
	if err != nil {
		return nil, 0, err
	}
	if capf.LinkType != pcap.LinkEthernet {
		return nil, 0, fmt.Errorf("replay %s: link type %d is not Ethernet", path, capf.LinkType)
	}
	groups := map[int][]int{}
	var order []int
	total := 0
	for i, p := range capf.Packets {
		n := len(p.Data)
		if n < 14 || n+frames.FCSLen > frames.MaxFrameSize || n < p.OrigLen {
			continue // truncated or too large to replay
		}
		if _, ok := groups[n]; !ok {
			order = append(order, n)
		}
		groups[n] = append(groups[n], i)
		total += n + frames.FCSLen
	}
	if len(order) == 0 {
		return nil, 0, fmt.Errorf("replay %s: no complete Ethernet frame of 14..%d bytes", path, frames.MaxFrameSize-frames.FCSLen)
	}
	var streams []*gen.Stream
	used := 0
	for _, n := range order {
		idx := groups[n]
		for len(idx) > 0 {
			k := min(len(idx), xdpprog.MaxTemplates)
			var ts []xdpprog.GenTemplate
			for _, i := range idx[:k] {
				ts = append(ts, xdpprog.RawTemplate(capf.Packets[i].Data))
			}
			s, err := gen.NewStream(capf.Packets[idx[0]].Data, ts, 1, 1, trial)
			if err != nil {
				for _, s := range streams {
					s.Close()
				}
				return nil, 0, err
			}
			streams = append(streams, s)
			used += k
			idx = idx[k:]
		}
	}
	return streams, total / used, nil
}
