# Sourced by setup.sh. Starts a daemon that forks into the background (virtlogd -d, libvirtd -d).
#
# setup.sh holds its lock on descriptor 9 while it runs. A daemon started from it would inherit
# that descriptor and keep the lock for as long as it lives, so every later setup in the same
# checkout waited for ever (measured: a second `npm run up` hung until libvirtd was restarted).
# The daemon therefore starts with descriptor 9 closed.
start_daemon() {
  as_root "$@" 9>&-
}
