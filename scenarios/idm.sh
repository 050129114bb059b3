#!/usr/bin/env bash
# ForgeRock IDM requests from reference/forgerock-idm-change-own-password.txt and
# forgerock-idm-selfservice-reset.txt, replayed literally (host, user id, passwords
# substituted). Needs a running server at $base with jdoe / "password" and, for Example 1,
# an SMTP sink writing JSON files to $MAILDIR.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
id=$1

# info/login, IDM 7 and pre-IDM 7 forms
r=$(curl -s -X GET -H "X-OpenIDM-Username: jdoe" -H "X-OpenIDM-Password: Passw0rd-Old!" -H "Accept-API-Version: resource=1.0" "$base/openidm/info/login")
expect "info/login (IDM 7) id" "$(echo "$r" | json authorization.id)" "$id"
expect "info/login (IDM 7) component" "$(echo "$r" | json authorization.component)" "managed/user"
r=$(curl -s -X GET -H "X-OpenIDM-Username: jdoe" -H "X-OpenIDM-Password: Passw0rd-Old!" "$base/openidm/info/login")
expect "info/login (pre-7) moduleId" "$(echo "$r" | json authorization.moduleId)" "MANAGED_USER"

# change own password: POST + X-HTTP-Method-Override: PATCH (IDM 7 form)
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: jdoe" -H "X-OpenIDM-Password: Passw0rd-Old!" -H "Accept-API-Version: resource=1.0" -H "X-OpenIDM-Reauth-Password:Passw0rd-Old!" -H "X-HTTP-Method-Override: PATCH" -d '[{"operation":"replace","field":"password","value":"newPassw0rd-1"}]' "$base/openidm/managed/user/$id")
expect "POST override PATCH _rev" "$(echo "$r" | json _rev)" "2"
# the PATCH form (the article's "-X PATCH-H" read as "-X PATCH -H"), pre-IDM 7 headers
r=$(curl -s -X PATCH -H "Content-Type: application/json" -H "X-OpenIDM-Username: jdoe" -H "X-OpenIDM-Password: newPassw0rd-1" -H "X-OpenIDM-Reauth-Password:newPassw0rd-1" -d '[{"operation":"replace","field":"password","value":"newPassw0rd-2"}]' "$base/openidm/managed/user/$id")
expect "PATCH userName" "$(echo "$r" | json userName)" "jdoe"
# without the reauthentication header: IDM's 403
code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH -H "X-OpenIDM-Username: jdoe" -H "X-OpenIDM-Password: newPassw0rd-2" -d '[{"operation":"replace","field":"password","value":"newPassw0rd-3"}]' "$base/openidm/managed/user/$id")
expect "PATCH without reauth" "$code" "403"

# self-service reset, Example 1 (userQuery, then the e-mailed code)
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: anonymous" -H "X-OpenIDM-Password: anonymous" -d '{"input":{}}' "$base/openidm/selfservice/reset?_action=submitRequirements")
expect "Example 1 step 1 type" "$(echo "$r" | json type)" "userQuery"
token=$(echo "$r" | json token)
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: anonymous" -H "X-OpenIDM-Password: anonymous" -H "Accept-Language:en-US,en;q=0.8" -d "{\"token\": \"$token\",\"input\":{\"queryFilter\":\"userName eq \\\"jdoe\\\"\"}}" "$base/openidm/selfservice/reset?_action=submitRequirements")
expect "Example 1 step 2 type" "$(echo "$r" | json type)" "emailValidation"
expect "Example 1 step 2 tag" "$(echo "$r" | json tag)" "validateCode"
token=$(echo "$r" | json token)
code_mail() { python3 - "$MAILDIR" <<'PY'
import glob, json, re, sys
for path in glob.glob(sys.argv[1] + "/*.json"):
    mail = json.load(open(path))
    if "code" in mail["subject"]:
        print(re.search(r"\b(\d{8})\b", mail["body"]).group(1))
PY
}
code=""
for _ in $(seq 1 100); do code=$(code_mail); [ -n "$code" ] && break; sleep 0.1; done
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: anonymous" -H "X-OpenIDM-Password: anonymous" -d "{\"token\":\"$token\",\"input\":{\"code\":\"$code\"}}" "$base/openidm/selfservice/reset?_action=submitRequirements")
expect "Example 1 code accepted" "$(echo "$r" | json type)" "resetStage"
token=$(echo "$r" | json token)
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: anonymous" -H "X-OpenIDM-Password: anonymous" -H "Accept-Language:en-US,en;q=0.8" -d "{\"token\":\"$token\",\"input\":{\"password\":\"newPassw0rd-9\"}}" "$base/openidm/selfservice/reset?_action=submitRequirements")
expect "Example 1 end" "$r" '{"additions":{},"status":{"success":true},"tag":"end","type":"resetStage"}'
