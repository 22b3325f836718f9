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
	rate := fs.Float64("rate", 0, "frames per second in total (0: full speed)")
	count := fs.Uint64("count", 0, "frames to send in total (0: until -duration)")
	dur := fs.Duration("duration", 5*time.Second, "how long to send when -count is 0")
	cpus := fs.String("cpus", "0", "CPUs running one sending thread each, e.g. 0,1")
	ts := fs.Bool("ts", false, "stamp the transmit time in every frame (for the sink's latency)")
	trial := fs.Uint("trial", 1, "trial id written into stamps (the sink counts only its own trial id)")
	pcapFile := fs.String("pcap", "", "replay the Ethernet frames of this pcap file instead of a template")
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
	if *pcapFile != "" {
		if streams, frameSize, err = pcapStreams(*pcapFile, uint8(*trial)); err != nil {
			return err
		}
	} else {
		spec := frames.Spec{FrameSize: *size, Flows: *flows, AddrFlows: *addrFlows, SrcPort: uint16(*sport),
			DstPort: uint16(*dport), Timestamp: *ts, SrcMAC: ifc.HardwareAddr}
		if spec.Proto, err = frames.ParseProto(*proto); err != nil {
			return usageError{err}
		}
		if spec.Src, err = netip.ParseAddr(*src); err != nil {
			return usageError{fmt.Errorf("parse -src: %w", err)}
		}
		if spec.Dst, err = netip.ParseAddr(*dst); err != nil {
			return usageError{fmt.Errorf("parse -dst: %w", err)}
		}
		if *srcMAC != "" {
			if spec.SrcMAC, err = net.ParseMAC(*srcMAC); err != nil {
				return usageError{fmt.Errorf("parse -src-mac: %w", err)}
			}
		}
		if spec.DstMAC, err = net.ParseMAC(*dstMAC); err != nil {
			return usageError{fmt.Errorf("parse -dst-mac (the DUT's MAC is required): %w", err)}
		}
		t, err := frames.Build(spec)
		if err != nil {
			return usageError{err}
		}
		s, err := gen.NewSynthetic(t, uint8(*trial))
		if err != nil {
			return err
		}
		streams = append(streams, s)
	}
	cfg := gen.Config{Ifindex: ifc.Index, Streams: streams, CPUs: cpuList, Rate: *rate, Count: *count}
	if *count == 0 {
		cfg.Duration = *dur
	}
	if ns != nil {
		cfg.ThreadSetup = ns.Enter
	}
	fmt.Fprintf(stderr, "sending on %s (ifindex %d) with %d thread(s)...\n", *iface, ifc.Index, len(cpuList))
	res, err := gen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "offered %d frames in %.3f s: %.3f Mpps, %.3f Gbit/s (frames incl. FCS), %.3f Gbit/s (L1, +20 B/frame)\n",
		res.Sent, res.Elapsed.Seconds(), res.PPS()/1e6, res.BPS(frameSize, false)/1e9, res.BPS(frameSize, true)/1e9)
	for i, n := range res.PerThread {
		fmt.Fprintf(stdout, "  cpu %d: %d frames\n", cpuList[i], n)
	}
	return nil
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
