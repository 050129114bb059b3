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

# The rest of the seed, when a helpdesk sign-in is given (ADAXES_HELPDESK="user:password"):
# passwordUtils/generate, then resetPassword with the generated password, must-change and
# unlock, addressing John Smith by DN and — when given — by GUID (ADAXES_OBJECT_GUID) and
# SID (ADAXES_OBJECT_SID), as Adaxes clients address AD objects.
if [ -n "${ADAXES_HELPDESK:-}" ]; then
  session=$(curl -sf "$base/restApi/api/authSessions/create" -H 'Content-Type: application/json' \
    -d "{\"username\":\"${ADAXES_HELPDESK%%:*}\",\"password\":\"${ADAXES_HELPDESK#*:}\"}" | json sessionId)
  HELPDESK=$(curl -sf "$base/restApi/api/auth" -H 'Content-Type: application/json' -d "{\"sessionId\":\"$session\"}" | json token)
  dn="CN=John Smith,CN=Users,DC=example,DC=com"
  must=false
  for object in "$dn" ${ADAXES_OBJECT_GUID:-} ${ADAXES_OBJECT_SID:-}; do
    generated=$(curl -sf "$base/restApi/api/directoryObjects/passwordUtils/generate" \
      --header "Adm-Authorization: $HELPDESK" --header 'Content-Type: application/json' \
      --data-raw "{ \"directoryObject\": \"$object\" }")
    password=$(echo "$generated" | python3 -c 'import json,sys; print(json.load(sys.stdin))')
    body=$(python3 -c 'import json,sys; print(json.dumps({"directoryObject": sys.argv[1], "password": sys.argv[2], "options": {"mustChangePassword": sys.argv[3] == "true"}, "unlockAccount": True}))' "$object" "$password" "$must")
    r=$(curl -s "$base/restApi/api/directoryObjects/resetPassword" \
      --header "Adm-Authorization: $HELPDESK" --header 'Content-Type: application/json' --data-raw "$body")
    expect "Adaxes resetPassword resultType ($object)" "$(echo "$r" | json resultType)" "0"
    expect "Adaxes resetPassword actualObjectDN ($object)" "$(echo "$r" | json actualObjectDN)" "${ADAXES_STORED_DN:-$dn}"
    # The generated password signs in (must-change: into a change-only session).
    sign_in=$(python3 -c 'import json,sys; print(json.dumps({"userName": "jsmith", "password": sys.argv[1]}))' "$password")
    s=$(curl -s "$base/api/v1/sessions" -H 'Content-Type: application/json' -d "$sign_in")
    expect "jsmith signs in with the reset password ($object)" "$(echo "$s" | json mustChangePassword)" "$([ "$must" = true ] && echo True || echo False)"
    if [ "$must" = false ]; then must=true; else must=false; fi
  done
fi
