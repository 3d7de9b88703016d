package logs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A spill holds the records a jinit could not hand to a collector before
// it ended (no collector connected, a full log disk, a killed keeper or jinit): it
// writes them into the jail's writable layer, where a collector finds them
// later and stores them exactly once (docs/LOGS.md):
//
//	jails-spill 1 BOOT\n
//	then batches, each a 4-byte big-endian length and an encoded batch
//	(DecodeBatch's format), in sequence order.
//
// The batches are cut where jinit cut them, so a collector that stored
// some of them before (and then crashed, or jinit ended) skips exactly
// those: WriteBatch skips a batch at or below the checkpoint.

// SpillDir is where jinit spills, relative to the jail's root (its
// writable layer's var).
const SpillDir = "var/lib/jinit/spill"

// SpillSuffix ends a spill's name: BOOT.spill.
const SpillSuffix = ".spill"

const spillMagic = "jails-spill 1 "

// MaxSpillBatch bounds one batch of a spill (a jail writes the file).
const MaxSpillBatch = 16 << 20

// Spill writes every record not acknowledged (sent and waiting, and not
// yet sent) to w, and returns how many records it wrote. Call it once
// jinit will take no more lines.
func (b *Buffer) Spill(w io.Writer) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.active) > 0 {
		if b.build(DefaultBatch) == nil {
			break
		}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(spillMagic + b.cfg.Boot + "\n")
	n := 0
	var hdr [4]byte
	for _, f := range b.inflight {
		bt, err := DecodeBatch(f.data)
		if err != nil {
			return n, fmt.Errorf("spill: %w", err)
		}
		for _, sg := range bt.Segments {
			n += sg.Lines
		}
		binary.BigEndian.PutUint32(hdr[:], uint32(len(f.data)))
		bw.Write(hdr[:])
		bw.Write(f.data)
	}
	return n, bw.Flush()
}

// ReadSpill reads a spill (untrusted: the jail can write it) and calls fn
// for each batch in order; it returns the spill's boot.
func ReadSpill(r io.Reader, fn func(boot string, bt *Batch) error) (string, error) {
	br := bufio.NewReader(r)
	head, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, spillMagic) {
		return "", errors.New("read spill: not a spill")
	}
	boot := strings.TrimSuffix(strings.TrimPrefix(head, spillMagic), "\n")
	if !ValidBoot(boot) {
		return "", fmt.Errorf("read spill: bad boot %q", boot)
	}
	var hdr [4]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err == io.EOF {
			return boot, nil
		} else if err != nil {
			return boot, fmt.Errorf("read spill: %w", err)
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || n > MaxSpillBatch {
			return boot, fmt.Errorf("read spill: batch of %d bytes", n)
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			return boot, fmt.Errorf("read spill: %w", err)
		}
		bt, err := DecodeBatch(buf)
		if err != nil {
			return boot, fmt.Errorf("read spill: %w", err)
		}
		if err := fn(boot, &bt); err != nil {
			return boot, err
		}
	}
}

// ValidBoot checks a boot id as a file name: 1 to 64 lowercase hex digits.
func ValidBoot(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
