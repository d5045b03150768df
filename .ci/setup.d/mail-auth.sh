# mail authentication (mail/dkim, mail/arc, mail/srs): Debian's dkimpy is the
# independent DKIM/ARC verifier (/usr/bin/python3 -c 'import dkim'), and
# postsrsd the reference SRS implementation the SRS tests agree with.
need_apt python3-dkim postsrsd
# Where an init system runs, installing postsrsd starts its service; the
# tests start their own on free loopback ports, so nothing needs it running.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet postsrsd 2>/dev/null; then
	systemctl stop postsrsd || true
fi
