//go:build !386

package kmod

// tmpfsArgs is struct tmpfs_args where C aligns 64-bit fields to 8 bytes
// (amd64, arm64, and arm's EABI): the padding is explicit, because Go
// aligns them to 4 on arm.
type tmpfsArgs struct {
	version  int32
	_        uint32
	nodesMax uint64 // ino_t; <= 3 lets the kernel derive it from the size
	sizeMax  int64  // off_t; < PAGE_SIZE means no limit
	rootUID  uint32
	rootGID  uint32
	rootMode uint32
	_        uint32
}
