package main

// growPipe keeps NetBSD's pipe size, which grows on demand.
func growPipe(fd int) {}
