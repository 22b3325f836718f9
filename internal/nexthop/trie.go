package nexthop

import "math/bits"

// trie is a path-compressed binary trie over 128-bit keys (hi, lo), used for
// both address families: an IPv4 address a is stored as hi = a<<32, lo = 0,
// so the same code walks both. Nodes live in one flat slice and refer to each
// other by index, which keeps the garbage collector out of the picture (no
// pointers) and lets a lookup run without allocating.
//
// Every node carries its full prefix; a lookup compares the key against it,
// so skipped (compressed) bits never cause a false match. A node whose prefix
// does not match ends the walk, because all of its descendants extend it.
type trie struct {
	nodes []trieNode
	jump  []jumpEntry // nil, or 1<<jumpBits entries indexed by the top bits
	root  int32       // -1 when empty
}

type trieNode struct {
	hi, lo uint64   // prefix bits, zero beyond plen
	child  [2]int32 // -1 when absent
	val    int32    // value index, -1 for a pure branching node
	plen   uint8
}

func newTrie() trie { return trie{root: -1} }

// maskHi returns the mask of the first l bits of a 64-bit word (l in 0..64).
// Go defines shifts by >= 64 as yielding 0, which gives mask 0 for l = 0.
func maskHi(l uint) uint64 { return ^uint64(0) << (64 - l) }

func maskKey(hi, lo uint64, plen uint8) (uint64, uint64) {
	if plen <= 64 {
		return hi & maskHi(uint(plen)), 0
	}
	return hi, lo & maskHi(uint(plen)-64)
}

// covers reports whether the prefix (phi, plo)/plen contains the key (hi, lo).
func covers(phi, plo uint64, plen uint8, hi, lo uint64) bool {
	if plen <= 64 {
		return (hi^phi)&maskHi(uint(plen)) == 0
	}
	return hi == phi && (lo^plo)&maskHi(uint(plen)-64) == 0
}

// bitAt returns bit number pos (0 = most significant) of the key.
func bitAt(hi, lo uint64, pos uint8) int {
	if pos < 64 {
		return int(hi>>(63-pos)) & 1
	}
	return int(lo>>(127-pos)) & 1
}

// commonLen returns the length of the common leading bits of two keys.
func commonLen(ahi, alo, bhi, blo uint64) uint8 {
	if x := ahi ^ bhi; x != 0 {
		return uint8(bits.LeadingZeros64(x))
	}
	return 64 + uint8(bits.LeadingZeros64(alo^blo))
}

// lookup returns the value of the longest prefix containing the key, or -1.
// It does not allocate.
func (t *trie) lookup(hi, lo uint64) int32 {
	best, i := int32(-1), t.root
	if t.jump != nil {
		e := t.jump[hi>>(64-jumpBits)]
		best, i = e.best, e.start
	}
	nodes := t.nodes
	for i >= 0 && int(i) < len(nodes) {
		n := &nodes[i]
		if !covers(n.hi, n.lo, n.plen, hi, lo) {
			break
		}
		if n.val >= 0 {
			best = n.val
		}
		if n.plen >= 128 {
			break
		}
		i = n.child[bitAt(hi, lo, n.plen)]
	}
	return best
}

// lookupShorter is lookup among the prefixes shorter than plen bits only.
func (t *trie) lookupShorter(hi, lo uint64, plen uint8) int32 {
	best, i := int32(-1), t.root
	nodes := t.nodes
	for i >= 0 && int(i) < len(nodes) {
		n := &nodes[i]
		if n.plen >= plen || !covers(n.hi, n.lo, n.plen, hi, lo) {
			break
		}
		if n.val >= 0 {
			best = n.val
		}
		i = n.child[bitAt(hi, lo, n.plen)]
	}
	return best
}

// insert stores val for the prefix (hi, lo)/plen, replacing any previous
// value for exactly that prefix. Bits beyond plen are ignored. Build time
// only: it appends to the node slice.
func (t *trie) insert(hi, lo uint64, plen uint8, val int32) {
	hi, lo = maskKey(hi, lo, plen)
	leaf := func() int32 {
		t.nodes = append(t.nodes, trieNode{hi: hi, lo: lo, plen: plen, val: val, child: [2]int32{-1, -1}})
		return int32(len(t.nodes) - 1)
	}
	if t.root < 0 {
		t.root = leaf()
		return
	}
	// (parent, side) names the slot that holds cur: the root when parent
	// is -1, else a child slot of parent. Slots are addressed by index, not
	// pointer, because appending may move the slice.
	parent, side := int32(-1), 0
	cur := t.root
	setLink := func(v int32) {
		if parent < 0 {
			t.root = v
		} else {
			t.nodes[parent].child[side] = v
		}
	}
	for {
		n := t.nodes[cur]
		c := min(commonLen(n.hi, n.lo, hi, lo), n.plen, plen)
		switch {
		case c == n.plen && c == plen:
			t.nodes[cur].val = val
			return
		case c == n.plen:
			// The node is a proper prefix of the new one: go down.
			b := bitAt(hi, lo, n.plen)
			if n.child[b] < 0 {
				l := leaf()
				t.nodes[cur].child[b] = l
				return
			}
			parent, side, cur = cur, b, n.child[b]
		case c == plen:
			// The new prefix is a proper prefix of the node: put it above.
			l := leaf()
			t.nodes[l].child[bitAt(n.hi, n.lo, plen)] = cur
			setLink(l)
			return
		default:
			// They diverge at bit c: add a branching node there.
			ghi, glo := maskKey(hi, lo, c)
			t.nodes = append(t.nodes, trieNode{hi: ghi, lo: glo, plen: c, val: -1, child: [2]int32{-1, -1}})
			g := int32(len(t.nodes) - 1)
			l := leaf()
			t.nodes[g].child[bitAt(hi, lo, c)] = l
			t.nodes[g].child[bitAt(n.hi, n.lo, c)] = cur
			setLink(g)
			return
		}
	}
}

// empty reports whether the trie holds no prefix.
func (t *trie) empty() bool { return t.root < 0 }

// jumpBits is the stride of the optional root jump table: a lookup starts
// at the node the walk would reach after the first jumpBits bits, skipping
// the upper levels. Worth it only for large tables (see jumpMinNodes).
const (
	jumpBits     = 16
	jumpMinNodes = 4096
)

// jumpEntry is where the walk of every key in one 2^(64-jumpBits) block of
// the hi word resumes: start node (-1: nothing longer can match) and the
// best value among the prefixes shorter than jumpBits on the way.
type jumpEntry struct {
	start int32
	best  int32
}

// buildJump fills t.jump if the trie has at least minNodes nodes (pass
// jumpMinNodes). Build time only, after the last insert.
func (t *trie) buildJump(minNodes int) {
	t.jump = nil
	if t.root < 0 || len(t.nodes) < minNodes {
		return
	}
	t.jump = make([]jumpEntry, 1<<jumpBits)
	for b := range t.jump {
		t.jump[b] = t.jumpFor(uint64(b))
	}
}

// jumpFor walks the trie for jump block b.
func (t *trie) jumpFor(b uint64) jumpEntry {
	hi := b << (64 - jumpBits)
	e := jumpEntry{start: -1, best: -1}
	for i := t.root; i >= 0; {
		n := &t.nodes[i]
		if n.plen >= jumpBits {
			// Its match and its child choice depend on
			// bits beyond the block: the lookup goes on here.
			e.start = i
			break
		}
		if !covers(n.hi, n.lo, n.plen, hi, 0) {
			break
		}
		if n.val >= 0 {
			e.best = n.val
		}
		i = n.child[bitAt(hi, 0, n.plen)]
	}
	return e
}
