package nexthop

// Copy-on-write editing of a published trie, for incremental route updates.
//
// A published trie is read by workers without synchronisation, so set and
// del never write a node a published version can reach: they append a copy
// of every node they change, and of each of its ancestors up to a new root,
// to the node slice. A reader of an older version follows its own root and
// sees only nodes below its own slice length, none of which changed; the
// appends go beyond that length (or into a new array). The jump table is
// shared too, so the first edit of a batch clones it (cowJump) and the end
// of the batch refreshes the blocks the edits touched (fixJump).
//
// The nodes left behind are garbage until the next full build; the caller
// counts them (dead) to decide when to rebuild.

// step is one node on the way down: the node and the side taken from it.
type step struct {
	node int32
	side int
}

// cowTrie edits t (a copy of a published trie's header) in place of the
// published one.
type cowTrie struct {
	t      *trie
	dead   int         // nodes of older versions this edit stopped using
	blocks [][2]uint64 // jump blocks to refresh, [first, last]
	path   []step
}

func newCowTrie(t *trie) *cowTrie { return &cowTrie{t: t} }

// clone appends a copy of node i and returns its index.
func (c *cowTrie) clone(i int32) int32 {
	c.t.nodes = append(c.t.nodes, c.t.nodes[i])
	c.dead++
	return int32(len(c.t.nodes) - 1)
}

func (c *cowTrie) add(n trieNode) int32 {
	c.t.nodes = append(c.t.nodes, n)
	return int32(len(c.t.nodes) - 1)
}

// relink makes the slot at the end of c.path point to v, copying the nodes
// of the path bottom-up, and installs the new root.
func (c *cowTrie) relink(v int32) {
	for k := len(c.path) - 1; k >= 0; k-- {
		p := c.clone(c.path[k].node)
		c.t.nodes[p].child[c.path[k].side] = v
		v = p
	}
	c.t.root = v
}

// set stores val for the prefix, like trie.insert, without changing any
// node an older version uses. It reports whether the prefix had a value.
func (c *cowTrie) set(hi, lo uint64, plen uint8, val int32) (replaced bool) {
	hi, lo = maskKey(hi, lo, plen)
	c.touch(hi, plen)
	leaf := trieNode{hi: hi, lo: lo, plen: plen, val: val, child: [2]int32{-1, -1}}
	c.path = c.path[:0]
	cur := c.t.root
	for {
		if cur < 0 {
			c.relink(c.add(leaf))
			return false
		}
		n := c.t.nodes[cur]
		cl := min(commonLen(n.hi, n.lo, hi, lo), n.plen, plen)
		switch {
		case cl == n.plen && cl == plen:
			k := c.clone(cur)
			c.t.nodes[k].val = val
			c.relink(k)
			return n.val >= 0
		case cl == n.plen:
			b := bitAt(hi, lo, n.plen)
			c.path = append(c.path, step{cur, b})
			cur = n.child[b]
		case cl == plen:
			// The new prefix goes above the node.
			leaf.child[bitAt(n.hi, n.lo, plen)] = cur
			c.relink(c.add(leaf))
			return false
		default:
			// They diverge at bit cl: a branching node there.
			l := c.add(leaf)
			ghi, glo := maskKey(hi, lo, cl)
			g := trieNode{hi: ghi, lo: glo, plen: cl, val: -1}
			g.child[bitAt(hi, lo, cl)] = l
			g.child[bitAt(n.hi, n.lo, cl)] = cur
			c.relink(c.add(g))
			return false
		}
	}
}

// del removes the value of exactly the prefix; it reports whether there was
// one. A node left without a value and with fewer than two children goes
// away, as does a branching node left with one child.
func (c *cowTrie) del(hi, lo uint64, plen uint8) bool {
	hi, lo = maskKey(hi, lo, plen)
	c.path = c.path[:0]
	cur := c.t.root
	for {
		if cur < 0 {
			return false
		}
		n := &c.t.nodes[cur]
		if n.plen > plen || !covers(n.hi, n.lo, n.plen, hi, lo) {
			return false
		}
		if n.plen == plen {
			if n.val < 0 {
				return false
			}
			break
		}
		b := bitAt(hi, lo, n.plen)
		c.path = append(c.path, step{cur, b})
		cur = n.child[b]
	}
	c.touch(hi, plen)
	n := c.t.nodes[cur]
	c.dead++
	var v int32
	switch {
	case n.child[0] >= 0 && n.child[1] >= 0:
		v = c.add(n)
		c.t.nodes[v].val = -1
	case n.child[0] >= 0:
		v = n.child[0]
	default:
		v = n.child[1] // or -1
	}
	// A parent that only branched, and now has one child left, goes too.
	for v < 0 && len(c.path) > 0 {
		p := c.path[len(c.path)-1]
		pn := &c.t.nodes[p.node]
		if pn.val >= 0 {
			break
		}
		c.path = c.path[:len(c.path)-1]
		c.dead++
		v = pn.child[1-p.side]
	}
	c.relink(v)
	return true
}

// touch records the jump blocks a change of the prefix may affect.
func (c *cowTrie) touch(hi uint64, plen uint8) {
	first := hi >> (64 - jumpBits)
	last := first
	if plen < jumpBits {
		last = first | (1<<(jumpBits-plen) - 1)
	}
	c.blocks = append(c.blocks, [2]uint64{first, last})
}

// finish brings the jump table up to date: a fresh one when the trie grew
// past jumpMinNodes without one, else a copy of the published one with the
// touched blocks walked again.
func (c *cowTrie) finish() {
	t := c.t
	switch {
	case t.jump == nil:
		t.buildJump(jumpMinNodes)
	case t.root < 0:
		t.jump = nil
	default:
		j := make([]jumpEntry, len(t.jump))
		copy(j, t.jump)
		t.jump = j
		for _, b := range c.blocks {
			for k := b[0]; k <= b[1]; k++ {
				t.jump[k] = t.jumpFor(k)
			}
		}
	}
	c.blocks = c.blocks[:0]
}
