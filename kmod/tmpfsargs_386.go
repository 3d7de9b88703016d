package kmod

// tmpfsArgs is struct tmpfs_args on i386, where C aligns 64-bit fields to
// 4 bytes, as Go does: no padding.
type tmpfsArgs struct {
	version  int32
	nodesMax uint64 // ino_t; <= 3 lets the kernel derive it from the size
	sizeMax  int64  // off_t; < PAGE_SIZE means no limit
	rootUID  uint32
	rootGID  uint32
	rootMode uint32
}
