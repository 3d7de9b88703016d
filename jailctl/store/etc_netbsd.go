package store

// seedUsers: on NetBSD a jail's /etc is its writable layer alone, so it
// gets a minimal passwd, group and nsswitch.conf.
const seedUsers = true
