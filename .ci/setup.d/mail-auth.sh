# mail authentication (mail/dkim, mail/arc, mail/srs): Debian's dkimpy is the
# independent DKIM/ARC verifier (/usr/bin/python3 -c 'import dkim'), and
# postsrsd the reference SRS implementation the SRS tests agree with.
need_apt python3-dkim postsrsd
