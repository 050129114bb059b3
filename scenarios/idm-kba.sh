#!/usr/bin/env bash
# IDM self-service reset, Example 2 (userQuery → security question → reset, no e-mail
# stage): needs recovery.stages = [userQuery, kbaSecurityAnswerVerificationStage,
# resetStage] and recovery.allow_kba_without_email = true.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
id=$1
curl -sf -o /dev/null -X PATCH -H "X-OpenIDM-Username: jdoe" -H "X-OpenIDM-Password: Passw0rd-Old!" -H "X-OpenIDM-Reauth-Password: Passw0rd-Old!" \
  -d '[{"operation":"replace","field":"kbaInfo","value":[{"questionId":"1","answer":"Blue"}]}]' "$base/openidm/managed/user/$id"
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: anonymous" -H "X-OpenIDM-Password: anonymous" -d '{"input":{}}' "$base/openidm/selfservice/reset?_action=submitRequirements")
token=$(echo "$r" | json token)
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: anonymous" -H "X-OpenIDM-Password: anonymous" -H "Accept-Language:en-US,en;q=0.8" -d "{\"token\": \"$token\",\"input\":{\"queryFilter\":\"userName eq \\\"jdoe\\\"\"}}" "$base/openidm/selfservice/reset?_action=submitRequirements")
expect "Example 2 step 2 type" "$(echo "$r" | json type)" "kbaSecurityAnswerVerificationStage"
expect "Example 2 question" "$(echo "$r" | json requirements.properties.answer1.systemQuestion.en)" "What's your favorite color?"
token=$(echo "$r" | json token)
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: anonymous" -H "X-OpenIDM-Password: anonymous" -H "Accept-Language:en-US,en;q=0.8" -d "{\"token\":\"$token\",\"input\":{\"answer1\":\"Blue\"}}" "$base/openidm/selfservice/reset?_action=submitRequirements")
expect "Example 2 step 3 type" "$(echo "$r" | json type)" "resetStage"
token=$(echo "$r" | json token)
r=$(curl -s -X POST -H "Content-Type: application/json" -H "X-OpenIDM-Username: anonymous" -H "X-OpenIDM-Password: anonymous" -H "Accept-Language:en-US,en;q=0.8" -d "{\"token\":\"$token\",\"input\":{\"password\":\"newPassw0rd-7\"}}" "$base/openidm/selfservice/reset?_action=submitRequirements")
expect "Example 2 end" "$(echo "$r" | json tag)" "end"
