package logs

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// JournalSocket is journald's native socket.
const JournalSocket = "/run/systemd/journal/socket"

// FormatJournal appends a message in journald's native protocol (one
// datagram): fields KEY=VALUE, each on a line; a value that may hold a
// newline or other bytes (the text) as KEY, newline, its length as 64-bit
// little endian, the bytes, newline.
//
//	MESSAGE, PRIORITY, SYSLOG_FACILITY, SYSLOG_IDENTIFIER=JAIL,
//	JAIL, SERVICE, STREAM (stdout, stderr or jinit), and PARTIAL=1 for a
//	split line.
func FormatJournal(dst []byte, facility int, jail string, r *Record) []byte {
	field := func(k, v string) {
		dst = append(dst, k...)
		dst = append(dst, '=')
		dst = append(dst, v...)
		dst = append(dst, '\n')
	}
	field("PRIORITY", strconv.Itoa(severity(r.Stream)))
	field("SYSLOG_FACILITY", strconv.Itoa(facility))
	field("SYSLOG_IDENTIFIER", jail)
	field("JAIL", jail)
	field("SERVICE", r.Service)
	field("STREAM", r.Stream.String())
	if r.Flags&Partial != 0 {
		field("PARTIAL", "1")
	}
	text := cutText(r.Text)
	if !strings.ContainsRune(string(text), '\n') {
		dst = append(dst, "MESSAGE="...)
		dst = append(dst, text...)
		return append(dst, '\n')
	}
	dst = append(dst, "MESSAGE\n"...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(text)))
	dst = append(dst, text...)
	return append(dst, '\n')
}
