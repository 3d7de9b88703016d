package main

import (
	"errors"
	"io"
)

// On NetBSD jinit is not a jail's PID 1 and does not spill (it writes what
// it could not hand over to its stderr): there is nothing to collect.

func (j storeJails) Spilled() ([]string, error)           { return nil, nil }
func (j storeJails) Spills(name string) ([]string, error) { return nil, nil }

func (j storeJails) OpenSpill(name, boot string) (io.ReadCloser, error) {
	return nil, errors.New("no spills on NetBSD")
}

func (j storeJails) RemoveSpill(name, boot string) error { return errors.New("no spills on NetBSD") }
