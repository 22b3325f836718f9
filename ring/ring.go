package ring

import "fmt"

// checkCapacity validates a ring capacity and returns its index mask.
func checkCapacity(capacity int) (uint64, error) {
	if capacity < 2 || capacity > 1<<30 || capacity&(capacity-1) != 0 {
		return 0, fmt.Errorf("create ring with capacity %d: capacity must be a power of two between 2 and 2^30", capacity)
	}
	return uint64(capacity - 1), nil
}
