#!/usr/bin/env bash
# The PingDirectory example from reference/pingdirectory-rest-change-password.txt, with
# {{apiPath}}, {{dn}} and {{accessToken}} substituted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apiPath=$base
dn='uid=jdoe,ou=People,dc=example,dc=com'
accessToken=$(curl -sf "$base/api/v1/sessions" -H 'Content-Type: application/json' -d '{"userName":"jdoe","password":"Passw0rd-Old!"}' | json token)
r=$(curl -s --location --globoff "$apiPath/directory/v1/$dn/changePassword" \
--header 'Content-Type: application/json' \
--header "Authorization: Bearer $accessToken" \
--data '{
"oldPassword": "Passw0rd-Old!",
"newPassword": "newPasswordExample-1",
"_controls": [
{
"oid": "1.3.6.1.4.1.30221.2.5.40",
"control-name": "Password Validation Details Request Control",
"criticality": false
}
]
}')
expect "Ping resultCode" "$(echo "$r" | json resultCode.name)" "success"
expect "Ping response control" "$(echo "$r" | json _controls.0.oid)" "1.3.6.1.4.1.30221.2.5.41"
expect "Ping validation performed" "$(echo "$r" | json _controls.0.value-json.response-type)" "validation-performed"
