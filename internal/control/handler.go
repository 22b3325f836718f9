package control

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/siit-project/siit/internal/config"
)

// handle executes one request against the state. It returns the result (to
// be JSON-encoded) and an optional binary payload.
func (s *Server) handle(req *Request, payload []byte) (any, []byte, error) {
	st := s.state
	name := req.Instance
	if name == "" {
		name = config.DefaultInstanceName
	} else if config.ValidateName(name) != nil {
		// Jool's client checks -i as it builds a request, in these words.
		return nil, nil, clientSide(errors.New(badInstanceName))
	}
	switch req.Op {
	case OpPing:
		return nil, nil, nil

	case OpInstanceDisplay:
		ins := st.Snapshot().Instances()
		out := make([]InstanceInfo, len(ins))
		for i, in := range ins {
			out[i] = InstanceInfo{Namespace: s.namespace, Name: in.Name, Framework: string(in.Framework)}
		}
		return out, nil, nil

	case OpInstanceAdd:
		var a instanceAddArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, nil, err
		}
		var pool6 netip.Prefix
		if a.Pool6 != "" {
			p, err := config.ParsePrefix6(a.Pool6)
			if err != nil {
				return nil, nil, invalid(err)
			}
			pool6 = p
		}
		if a.Framework == "" {
			a.Framework = string(config.Netfilter)
		}
		return nil, nil, invalid(st.AddInstance(name, config.Framework(a.Framework), pool6))

	case OpInstanceRemove:
		return nil, nil, st.RemoveInstance(name)

	case OpInstanceFlush:
		return nil, nil, st.FlushInstances()

	case OpInstanceStatus:
		return statusResult{Exists: st.Snapshot().Instance(name) != nil}, nil, nil
	}

	// Everything below works on one existing instance.
	in := st.Snapshot().Instance(name)
	if in == nil && req.Op != OpFileHandle && req.Op != OpFileLoad {
		if !knownOp(req.Op) {
			return nil, nil, unknownOp(req.Op)
		}
		return nil, nil, noInstance(name)
	}
	switch req.Op {
	case OpGlobalDisplay:
		return globalsDoc(in), nil, nil

	case OpGlobalUpdate:
		var a globalUpdateArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, nil, err
		}
		return nil, nil, st.UpdateGlobal(name, a.Key, a.Value, a.Force)

	case OpEAMTDisplay:
		return nil, encodeEAMT(in.EAMT.Entries()), nil

	case OpEAMTAdd, OpEAMTRemove:
		var a eamArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, nil, err
		}
		p6, err := parseOptPrefix(a.Prefix6, config.ParsePrefix6)
		if err != nil {
			return nil, nil, err
		}
		p4, err := parseOptPrefix(a.Prefix4, config.ParsePrefix4)
		if err != nil {
			return nil, nil, err
		}
		if req.Op == OpEAMTRemove {
			return nil, nil, st.RemoveEAM(name, p6, p4)
		}
		if p6 == nil || p4 == nil {
			return nil, nil, errnoErr(syscall.EINVAL, "an EAMT entry needs both an IPv6 prefix and an IPv4 prefix")
		}
		return nil, nil, st.AddEAM(name, config.EAMEntry{Prefix6: *p6, Prefix4: *p4}, a.Force)

	case OpEAMTFlush:
		return nil, nil, st.FlushEAMT(name)

	case OpDenylistDisplay:
		out := make([]string, len(in.Denylist4))
		for i, p := range in.Denylist4 {
			out[i] = p.String()
		}
		return out, nil, nil

	case OpDenylistAdd, OpDenylistRemove:
		var a prefixArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, nil, err
		}
		p, err := config.ParsePrefix4(a.Prefix)
		if err != nil {
			return nil, nil, invalid(err)
		}
		if req.Op == OpDenylistAdd {
			return nil, nil, st.AddDenylist4(name, p, a.Force)
		}
		return nil, nil, st.RemoveDenylist4(name, p)

	case OpDenylistFlush:
		return nil, nil, st.FlushDenylist4(name)

	case OpStatsDisplay:
		c, err := st.Stats(name)
		if err != nil {
			return nil, nil, err
		}
		return counterList(&c), nil, nil

	case OpAddressQuery:
		var a queryArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, nil, err
		}
		addr, err := config.ParseAddr(a.Addr)
		if err != nil {
			return nil, nil, invalid(err)
		}
		r, err := st.Query(name, addr)
		if err != nil {
			return nil, nil, err
		}
		qr := queryResult{Query: r.Query.String(), Method: string(r.Method), Result: r.Result.String()}
		if r.Method == MethodEAMT {
			qr.Prefix6, qr.Prefix4 = r.EAM.Prefix6.String(), r.EAM.Prefix4.String()
		} else {
			qr.Prefix6 = r.Pool6.String()
		}
		return qr, nil, nil

	case OpFileDisplay:
		return nil, config.Marshal(in.Config()), nil

	case OpFileHandle:
		var a fileArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, nil, err
		}
		c, err := config.Parse([]byte(a.Config), req.Instance)
		if err != nil {
			return nil, nil, invalid(fmt.Errorf("configuration: %w", err))
		}
		if len(c.EAMT) > 0 {
			return nil, nil, errnoErr(syscall.EINVAL, "file.handle carries the EAMT in the payload, not in the JSON document")
		}
		if c.EAMT, err = decodeEAMT(payload); err != nil {
			return nil, nil, invalid(err)
		}
		tab, err := st.BuildFile(c, a.Force)
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, st.ApplyBuilt(c, tab)

	case OpFileLoad:
		var a fileLoadArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, nil, err
		}
		return nil, nil, st.handleFileBytes(payload, a.Name, req.Instance, a.Force)
	}
	return nil, nil, unknownOp(req.Op)
}

// badInstanceName is jool_siit's refusal of an instance name given with -i,
// word for word: scripts may look for it.
const badInstanceName = "The instance name must be a null-terminated ascii string, 15 characters max."

var allOps = []string{OpInstanceDisplay, OpInstanceAdd, OpInstanceRemove, OpInstanceFlush, OpInstanceStatus,
	OpGlobalDisplay, OpGlobalUpdate, OpEAMTDisplay, OpEAMTAdd, OpEAMTRemove, OpEAMTFlush, OpDenylistDisplay,
	OpDenylistAdd, OpDenylistRemove, OpDenylistFlush, OpStatsDisplay, OpAddressQuery, OpFileHandle,
	OpFileDisplay, OpFileLoad, OpPing}

func knownOp(op string) bool {
	for _, o := range allOps {
		if o == op {
			return true
		}
	}
	return false
}

func unknownOp(op string) error {
	return errnoErr(syscall.EOPNOTSUPP, "the daemon does not know operation %q; use a siit client of the same version as the daemon", op)
}
