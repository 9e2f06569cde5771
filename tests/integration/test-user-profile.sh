#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# user-profile (doc/config-reference.md): the XML client profile.
#  - openconnect --xmlconfig=FILE (FILE holding an older profile) logs in,
#    finds the profile's manifest in the login reply (/profiles/NAME and the
#    SHA-1 of the file), downloads it, checks the SHA-1 and writes it into
#    FILE: FILE then holds the gateway's profile byte for byte;
#    (openconnect 9.01 asks for "/profiles/NAME:PORT": the gateway takes it);
#  - a second login with FILE current does not download it again;
#  - GET /profiles/NAME (curl) answers the file as text/xml; another name 404.
. "$(dirname "$0")/lib.sh"

need_cmd curl
need_cmd sha1sum
it_setup 1
write_config
PROFILE=$IT_WORK/corp-profile.xml
cat > "$PROFILE" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ServerList>
    <HostEntry><HostName>Corp VPN</HostName><HostAddress>vpn.example.com</HostAddress></HostEntry>
  </ServerList>
</AnyConnectProfile>
XML
chmod 644 "$PROFILE"
printf 'user-profile = %s\n' "$PROFILE" >> "$CONFIG"
start_server

# the client's copy: an older profile
OLD=$IT_WORK/client-profile.xml
printf '<?xml version="1.0" encoding="UTF-8"?>\n<AnyConnectProfile/>\n' > "$OLD"
AUTH_ARGS=(--xmlconfig="$OLD" -v)
authenticate c1 || fatal "login with --xmlconfig failed, see $(basename "$AUTH_LOG")"
cmp -s "$PROFILE" "$OLD"
verdict "openconnect downloaded the profile into its --xmlconfig file" $? \
	"$(wc -c < "$OLD") bytes, sha1 $(sha1sum < "$OLD" | cut -c1-40)"
grep -q 'Downloaded new XML profile' "$AUTH_LOG"
verdict "openconnect: 'Downloaded new XML profile' (its SHA-1 check passed)" $?

# the same file again: openconnect sees the hash match and does not download
n=$(grep -c 'GET /profiles/' "$SERVER_LOG")
authenticate c1 || fatal "second login failed"
expect_eq "second login, the profile already current: GET /profiles/ requests to the gateway" \
	"$(grep -c 'GET /profiles/' "$SERVER_LOG")" "$n"

URLP=https://$SERVER_IP:$PORT/profiles
in_client c1 curl -sS -k --max-time 5 -D "$IT_WORK/get.hdr" -o "$IT_WORK/get.xml" \
	"$URLP/corp-profile.xml" || fatal "GET $URLP/corp-profile.xml failed"
cmp -s "$PROFILE" "$IT_WORK/get.xml"
verdict "GET /profiles/corp-profile.xml: the file" $? "$(head -n 1 "$IT_WORK/get.hdr" | tr -d '\r')"
grep -qi '^Content-Type: text/xml' "$IT_WORK/get.hdr"
verdict "GET /profiles/corp-profile.xml: Content-Type text/xml" $?
code=$(in_client c1 curl -sS -k --max-time 5 -o /dev/null -w '%{http_code}' "$URLP/other.xml")
expect_eq "GET /profiles/other.xml" "$code" 404
