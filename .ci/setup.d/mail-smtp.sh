# mail/smtp's interoperability tests: swaks (raw smuggling payloads),
# Postfix's smtp-source and smtp-sink, Python's smtplib.
# Postfix is installed unconfigured ("No configuration"), so no mail
# daemon starts and nothing outlives the run; the tests run smtp-source and
# smtp-sink themselves, and mail/router runs Postfix's master(8) with a
# configuration of its own in a temporary directory as a next hop.
if ! dpkg -s postfix >/dev/null 2>&1; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
fi
need_apt swaks postfix python3
