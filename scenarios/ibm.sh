#!/usr/bin/env bash
# IBM Security Verify's POST /v2.0/Me/password (reference/ibm-verify-me-password.txt),
# with a user's own access token.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
token=$(curl -sf "$base/api/v1/sessions" -H 'Content-Type: application/json' -d '{"userName":"jdoe","password":"Passw0rd-Old!"}' | json token)
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v2.0/Me/password?themeId=default" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/scim+json' \
  -d '{"schemas":["urn:ietf:params:scim:schemas:ibm:core:2.0:ChangePassword","urn:ietf:params:scim:schemas:extension:ibm:2.0:Notification"],"oldPassword":"Passw0rd-Old!","password":"newPassw0rd-5","urn:ietf:params:scim:schemas:extension:ibm:2.0:Notification":{"notifyType":"NONE"}}')
expect "IBM Me/password" "$code" "204"
hdr=$(curl -s -D - -o /dev/null -X POST "$base/v2.0/Me/password" -H "Authorization: Bearer $token" -H 'Content-Type: application/scim+json' \
  -d '{"schemas":["urn:ietf:params:scim:schemas:ibm:core:2.0:ChangePassword"],"oldPassword":"newPassw0rd-5","password":"password123"}' | tr -d '\r' | grep -i '^isv-dictionary-policy:' | cut -d' ' -f2)
expect "IBM dictionary enforce header" "$hdr" "ENFORCELOCAL"
