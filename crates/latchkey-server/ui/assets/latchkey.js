// The page script. The error summary takes the focus after a refused submit; the live
// rule checklist: as the new password is typed, asks the server for the
// dry-run report of the same policy the change is held to and ticks rules off.
// No framework; the page works without it (the rules are checked on submit).
"use strict";
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var form = document.querySelector("form[data-checklist]");
  var list = document.getElementById("rules");
  if (!form || !list) return;
  var input = form.querySelector("#new-password");
  var meter = document.getElementById("strength-meter");
  var meterText = document.getElementById("strength-text");
  var levels = (meterText.getAttribute("data-labels") || "").split("|");
  var strength = document.getElementById("strength");
  var timer = null;
  var seq = 0;

  function setState(li, state) {
    li.className = "rule " + state;
    li.querySelector(".state").textContent = list.getAttribute("data-" + state) || "";
  }

  function show(report) {
    // A rule may appear more than once (several deny patterns): match the n-th of a name.
    var seen = {};
    var byName = {};
    report.rules.forEach(function (r) { (byName[r.rule] = byName[r.rule] || []).push(r); });
    list.querySelectorAll("li[data-rule]").forEach(function (li) {
      var name = li.getAttribute("data-rule");
      var n = seen[name] || 0;
      seen[name] = n + 1;
      var r = (byName[name] || [])[n];
      if (!r) { setState(li, "pending"); return; }
      setState(li, r.satisfied ? "met" : (r.mode === "warn" ? "warn" : "unmet"));
    });
    strength.hidden = false;
    meter.value = report.strength;
    meterText.textContent = levels[report.strength] || "";
  }

  function reset() {
    list.querySelectorAll("li[data-rule]").forEach(function (li) { setState(li, "pending"); });
    strength.hidden = true;
  }

  function check() {
    var mine = ++seq;
    if (!input.value) { reset(); return; }
    var body = new URLSearchParams();
    body.set("csrf", form.querySelector("input[name=csrf]").value);
    body.set("password", input.value);
    fetch("/ui/check", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (report) { if (report && mine === seq) show(report); })
      .catch(function () { /* the rules are still checked on submit */ });
  }

  input.addEventListener("input", function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, 150);
  });
})();
