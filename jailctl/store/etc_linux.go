package store

// seedUsers: on Linux a jail on the host's base sees the host's /etc under
// its own layer, users and name service included; seeding passwd, group or
// nsswitch.conf there would hide the host's package users.
const seedUsers = false
