package kmod

import "os"

// StageArg is argv[1] of a jail's first process (see StageMain).
const StageArg = "__jail_stage"

// IsStage reports whether this process was started as a jail stage.
func IsStage() bool { return len(os.Args) > 1 && os.Args[1] == StageArg }
