#!/usr/bin/env bash
# The Adaxes cURL example from reference/adaxes-change-password.txt (trailing comma
# included), with the host and token substituted. Needs `adaxes.allow_change_password`
# and the account CN=John Smith,CN=Users,DC=example,DC=com with MyCurrentPassword-1.
# The answer names the object as its store spells its DN: as created (the default), or as
# a directory writes it back (`ADAXES_STORED_DN`; slapd writes attribute types lowercase).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
session=$(curl -sf "$base/restApi/api/authSessions/create" -H 'Content-Type: application/json' -d '{"username":"EXAMPLE\\jsmith","password":"MyCurrentPassword-1"}' | json sessionId)
TOKEN=$(curl -sf "$base/restApi/api/auth" -H 'Content-Type: application/json' -d "{\"sessionId\":\"$session\"}" | json token)
r=$(curl --header "Adm-Authorization: $TOKEN" \
  --header 'Content-Type: application/json' \
  --request POST "$base/restApi/api/directoryObjects/changePassword" \
  --data-raw '{ "directoryObject": "CN=John Smith,CN=Users,DC=example,DC=com", "oldPassword": "MyCurrentPassword-1", "newPassword": "MyNewPassword-2", }' -s)
expect "Adaxes changePassword resultType" "$(echo "$r" | json resultType)" "0"
expect "Adaxes actualObjectDN" "$(echo "$r" | json actualObjectDN)" "${ADAXES_STORED_DN:-CN=John Smith,CN=Users,DC=example,DC=com}"
