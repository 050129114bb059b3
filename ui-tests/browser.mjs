// The web pages in a real browser: Debian's Chromium driven by playwright-core, axe-core
// for accessibility, mail through a real SMTP sink. Started by ui-tests/run.sh, which
// provides LK_BASE_A/B (servers), LK_ADMIN_A/B (admin tokens), MAILDIR, LK_SCREENSHOTS.
import { chromium } from "playwright-core";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import path from "node:path";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const A = { base: process.env.LK_BASE_A, admin: process.env.LK_ADMIN_A };
const B = { base: process.env.LK_BASE_B, admin: process.env.LK_ADMIN_B };
const SHOTS = process.env.LK_SCREENSHOTS;
const MAILDIR = process.env.MAILDIR;

const browser = await chromium.launch({
  executablePath: process.env.LK_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// ---- helpers ---------------------------------------------------------------------------

let serial = 0;
async function api(server, method, p, body, token = server.admin) {
  const r = await fetch(server.base + p, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

/** A fresh account on `server` (every test works on its own). */
async function newAccount(server, extra = {}) {
  const userName = `ui${Date.now().toString(36)}${serial++}`;
  const password = "Mellow-Trout-41x";
  const email = `${userName}@example.com`;
  const r = await api(server, "POST", "/api/v1/accounts", { userName, password, email, ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return { userName, password, email, id: r.json.id };
}

/** The recovery-code mails to `to`, waiting for the first. */
async function mailTo(to, n = 1) {
  for (let i = 0; i < 100; i++) {
    const mails = readdirSync(MAILDIR).filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(readFileSync(path.join(MAILDIR, f), "utf8")))
      .filter((m) => m.to.includes(to) && /code/i.test(m.subject));
    if (mails.length >= n) return mails;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to}`);
}
const codeIn = (mail) => mail.body.match(/^\s{4}(\S+)\s*$/m)[1];
const linkIn = (mail) => mail.body.match(/(https?:\/\/\S+\/ui\/recover\?\S+)/)[1];

/** A page in a new context; CSP violations and page errors fail the test. */
async function open({ js = true, locale = "en-GB", width = 1280 } = {}) {
  const context = await browser.newContext({
    javaScriptEnabled: js, locale, viewport: { width, height: 900 },
  });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) page.problems.push(m.text());
  });
  page.on("pageerror", (e) => page.problems.push(String(e)));
  return page;
}

async function done(page) {
  assert.deepEqual(page.problems, [], "CSP violations or script errors");
  await page.context().close();
}

const axeSeen = new Set();
/** axe-core on the page as it is: no serious or critical violation. */
async function axe(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`), [],
    `axe on ${name}`);
  axeSeen.add(name);
}

/** Screenshots at desktop and phone width (320 px must not scroll sideways). */
async function shoot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
  const desktop = page.viewportSize();
  await page.setViewportSize({ width: 320, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 320, `${name} is ${wide}px wide at 320px`);
  await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize(desktop);
}

async function signIn(page, server, userName, password) {
  await page.goto(server.base + "/ui/sign-in");
  await page.fill("#username", userName);
  await page.fill("#password", password);
  await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
}

const text = (page, sel) => page.locator(sel).innerText();
const unmet = (page) => page.$$eval("#rules li.unmet", (l) => l.map((li) => li.dataset.rule).sort());

/** Submits the page's form and waits for the answer. */
const submit = (page) => Promise.all([page.waitForLoadState(), page.click("main button[type=submit]")]);

/** Forgot password up to the stage after the mailed code. */
async function forgotThroughCode(page, server, acct) {
  await page.goto(server.base + "/ui/forgot");
  await page.fill("#login", acct.userName);
  await submit(page);
  const [mail] = await mailTo(acct.email);
  await page.fill("#code", codeIn(mail));
  await submit(page);
}

async function changeForm(page, current, next, confirm = next) {
  if (current !== null) await page.fill("#current-password", current);
  await page.fill("#new-password", next);
  await page.fill("#confirm-password", confirm);
  await submit(page);
}

/** The rules a dry run finds unmet for this account (the API, not the page). */
async function expectedUnmet(server, account, password) {
  const s = await fetch(server.base + "/api/v1/sessions", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ userName: account.userName, password: account.password }),
  }).then((r) => r.json());
  const r = await api(server, "POST", "/api/v1/passwords/check", { password }, s.token);
  return r.json.rules.filter((x) => !x.satisfied && x.mode === "enforce").map((x) => x.rule).sort();
}

// ---- the tests -------------------------------------------------------------------------

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

test("sign in: a wrong password and an unknown name get the same answer; the user name is kept", async () => {
  const acct = await newAccount(A);
  const page = await open();
  await page.goto(A.base + "/ui/sign-in");
  assert.equal(await page.title(), "Sign in – Example Corp Passwords");
  await axe(page, "sign-in");
  await shoot(page, "sign-in");
  await signIn(page, A, acct.userName, "not-the-password");
  const wrong = await text(page, "#error-summary");
  assert.equal(await page.inputValue("#username"), acct.userName);
  assert.equal(await page.inputValue("#password"), "");
  assert.equal(await page.evaluate(() => document.activeElement.id), "error-summary");
  await axe(page, "sign-in-failed");
  await shoot(page, "sign-in-failed");
  await signIn(page, A, "nobody-" + acct.userName, "not-the-password");
  assert.equal(await text(page, "#error-summary"), wrong);
  await signIn(page, A, acct.userName, acct.password);
  assert.ok(page.url().endsWith("/ui/account"), page.url());
  assert.match(await text(page, "main"), new RegExp(acct.userName));
  await axe(page, "account");
  await shoot(page, "account");
  await done(page);
});

test("change: a refused change shows exactly the unmet rules, passwords not kept", async () => {
  const acct = await newAccount(A);
  const page = await open();
  await signIn(page, A, acct.userName, acct.password);
  await page.goto(A.base + "/ui/change");
  await axe(page, "change");
  await shoot(page, "change");
  // The history rule needs a real change: listed, checked on submit.
  assert.match(await text(page, '#rules li[data-rule="history"]'), /checked when you submit/);
  const weak = "password";
  const want = await expectedUnmet(A, acct, weak);
  assert.ok(want.length > 0);
  await changeForm(page, acct.password, weak);
  assert.deepEqual(await unmet(page), want);
  const summary = await text(page, "#error-summary");
  assert.match(summary, /does not meet these rules/);
  assert.equal(await page.getAttribute("#error-summary a", "href"), "#new-password");
  for (const f of ["#current-password", "#new-password", "#confirm-password"]) {
    assert.equal(await page.inputValue(f), "", `${f} is not re-filled`);
  }
  assert.equal(await page.inputValue('input[name="username"]'), acct.userName);
  await axe(page, "change-refused");
  await shoot(page, "change-refused");
  // The same password twice: the confirmation must match, checked before the policy.
  await changeForm(page, acct.password, "Velvet-Canyon-58", "Velvet-Canyon-59");
  assert.match(await text(page, "#error-summary"), /not the same/);
  await done(page);
});

test("change: a good change succeeds, the old password no longer signs in", async () => {
  const acct = await newAccount(A);
  const page = await open();
  await signIn(page, A, acct.userName, acct.password);
  await page.goto(A.base + "/ui/change");
  await changeForm(page, acct.password, "Velvet-Canyon-58");
  assert.equal(await text(page, "h1"), "Password changed");
  await axe(page, "change-done");
  await shoot(page, "change-done");
  await Promise.all([page.waitForLoadState(), page.click("form.sign-out button")]);
  assert.ok(page.url().endsWith("/ui/signed-out"));
  await axe(page, "signed-out");
  await shoot(page, "signed-out");
  // The session is gone: the account page sends to the sign-in page.
  await page.goto(A.base + "/ui/account");
  assert.ok(page.url().endsWith("/ui/sign-in"));
  await signIn(page, A, acct.userName, acct.password);
  assert.ok(page.url().endsWith("/ui/sign-in"), "the old password is refused");
  await signIn(page, A, acct.userName, "Velvet-Canyon-58");
  assert.ok(page.url().endsWith("/ui/account"));
  await done(page);
});

test("the checklist ticks rules off as characters are typed", async () => {
  const acct = await newAccount(A);
  const page = await open();
  await signIn(page, A, acct.userName, acct.password);
  await page.goto(A.base + "/ui/change");
  assert.equal(await page.getAttribute("#rules", "aria-live"), "polite");
  const minLength = '#rules li[data-rule="min-length"]';
  assert.match(await page.getAttribute(minLength, "class"), /pending/);
  await page.locator("#new-password").pressSequentially("Vel", { delay: 20 });
  await page.waitForSelector(`${minLength}.unmet`);
  assert.ok(await page.isVisible("#strength-meter"));
  await page.locator("#new-password").pressSequentially("vet-Canyon-58", { delay: 20 });
  await page.waitForSelector(`${minLength}.met`);
  await page.waitForFunction(() => document.getElementById("strength-meter").value >= 3);
  assert.deepEqual(await unmet(page), []);
  assert.match(await text(page, '#rules li[data-rule="history"]'), /checked when you submit/);
  await shoot(page, "change-checklist");
  await page.fill("#new-password", "");
  await page.waitForSelector(`${minLength}.pending`);
  await done(page);
});

test("must change: after a reset the session lands on the change page and nowhere else", async () => {
  const acct = await newAccount(A);
  const temp = "Tempor-Ary-Pass-77";
  const r = await api(A, "POST", `/api/v1/accounts/${acct.id}/password/reset`,
    { newPassword: temp, mustChangePassword: true });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const page = await open();
  await signIn(page, A, acct.userName, temp);
  assert.ok(page.url().endsWith("/ui/change"), page.url());
  assert.match(await text(page, "main"), /must choose a new password/);
  assert.equal(await page.$("main a[href='/ui/account']"), null, "no way around the change");
  await axe(page, "must-change");
  await shoot(page, "must-change");
  for (const p of ["/ui/account", "/ui/security-questions", "/ui"]) {
    await page.goto(A.base + p);
    assert.ok(page.url().endsWith("/ui/change"), `${p} → ${page.url()}`);
  }
  await changeForm(page, temp, "Granite-Harbor-93");
  assert.equal(await text(page, "h1"), "Password changed");
  await page.goto(A.base + "/ui/account");
  assert.ok(page.url().endsWith("/ui/account"));
  await done(page);
});

test("forgot password: the whole flow through the mailed code", async () => {
  const acct = await newAccount(A);
  const page = await open();
  await page.goto(A.base + "/ui/sign-in");
  await Promise.all([page.waitForLoadState(), page.click("a[href='/ui/forgot']")]);
  await axe(page, "forgot");
  await shoot(page, "forgot");
  await page.fill("#login", acct.userName);
  await submit(page);
  const known = await text(page, "main");
  assert.match(known, /Enter the code/);
  await axe(page, "forgot-code");
  await shoot(page, "forgot-code");
  // An unknown name gets the very same page.
  const other = await open();
  await other.goto(A.base + "/ui/forgot");
  await other.fill("#login", "nobody-" + acct.userName);
  await submit(other);
  assert.equal(await text(other, "main"), known);
  await done(other);
  // A wrong code: the same stage again, saying so.
  await page.fill("#code", "000000");
  await submit(page);
  assert.match(await text(page, "#error-summary"), /code is not correct/);
  const [mail] = await mailTo(acct.email);
  await page.fill("#code", codeIn(mail));
  await submit(page);
  assert.ok(await page.isVisible("#new-password"));
  await axe(page, "forgot-reset");
  await shoot(page, "forgot-reset");
  await changeForm(page, null, "Copper-Meadow-62");
  assert.equal(await text(page, "h1"), "Password changed");
  await signIn(page, A, acct.userName, "Copper-Meadow-62");
  assert.ok(page.url().endsWith("/ui/account"));
  await done(page);
});

test("forgot password: the mailed link fills in the code", async () => {
  const acct = await newAccount(A);
  const page = await open();
  await page.goto(A.base + "/ui/forgot");
  await page.fill("#login", acct.email);
  await submit(page);
  const [mail] = await mailTo(acct.email);
  const link = new URL(linkIn(mail));
  await page.goto(A.base + link.pathname + link.search);
  assert.equal(await page.inputValue("#code"), codeIn(mail));
  await submit(page);
  await changeForm(page, null, "Amber-Lantern-27");
  assert.equal(await text(page, "h1"), "Password changed");
  await done(page);
});

test("security questions: enrol, then recover with them", async () => {
  const acct = await newAccount(B);
  const page = await open();
  await signIn(page, B, acct.userName, acct.password);
  await page.goto(B.base + "/ui/security-questions");
  await axe(page, "questions");
  await shoot(page, "questions");
  const q1 = await page.$eval("#question1", (s) => s.options[s.selectedIndex].text);
  const q2 = await page.$eval("#question2", (s) => s.options[s.selectedIndex].text);
  assert.notEqual(q1, q2);
  await page.fill("#answer1", "Blue");
  await page.fill("#answer2", "Rex");
  await page.fill("#current-password", "wrong-password");
  await submit(page);
  assert.match(await text(page, "#error-summary"), /current password is not correct/);
  await page.fill("#answer1", "Blue");
  await page.fill("#answer2", "Rex");
  await page.fill("#current-password", acct.password);
  await submit(page);
  assert.equal(await text(page, "h1"), "Security questions saved");
  await Promise.all([page.waitForLoadState(), page.click("form.sign-out button")]);
  await forgotThroughCode(page, B, acct);
  assert.equal(await text(page, "label[for=answer1]"), q1);
  assert.equal(await text(page, "label[for=answer2]"), q2);
  await axe(page, "forgot-questions");
  await shoot(page, "forgot-questions");
  await page.fill("#answer1", "Green");
  await page.fill("#answer2", "Rex");
  await submit(page);
  assert.match(await text(page, "#error-summary"), /answers are not correct/);
  await page.fill("#answer1", " blue ");
  await page.fill("#answer2", "rex");
  await submit(page);
  await changeForm(page, null, "Silver-Orchard-35");
  assert.equal(await text(page, "h1"), "Password changed");
  await signIn(page, B, acct.userName, "Silver-Orchard-35");
  assert.ok(page.url().endsWith("/ui/account"));
  await done(page);
});

test("without JavaScript: sign in, a refused then a good change, forgot password", async () => {
  const acct = await newAccount(A);
  const page = await open({ js: false });
  await signIn(page, A, acct.userName, "wrong");
  assert.match(await text(page, "#error-summary"), /not correct/);
  await signIn(page, A, acct.userName, acct.password);
  assert.ok(page.url().endsWith("/ui/account"));
  await page.goto(A.base + "/ui/change");
  assert.equal(await page.$$eval("#rules li", (l) => l.filter((li) => !li.classList.contains("pending")).length), 0);
  const want = await expectedUnmet(A, acct, "short");
  await changeForm(page, acct.password, "short");
  assert.deepEqual(await unmet(page), want);
  assert.ok(await page.$$eval("#rules li.met", (l) => l.length) > 0, "met rules are marked too");
  await changeForm(page, acct.password, "Velvet-Canyon-58");
  assert.equal(await text(page, "h1"), "Password changed");
  await Promise.all([page.waitForLoadState(), page.click("form.sign-out button")]);
  await forgotThroughCode(page, A, acct);
  await changeForm(page, null, "Copper-Meadow-62");
  assert.equal(await text(page, "h1"), "Password changed");
  await done(page);
});

test("without JavaScript: the must-change flow, enrolment then recovery with the questions", async () => {
  const acct = await newAccount(B);
  const temp = "Tempor-Ary-Pass-77";
  const r = await api(B, "POST", `/api/v1/accounts/${acct.id}/password/reset`,
    { newPassword: temp, mustChangePassword: true });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const page = await open({ js: false });
  await signIn(page, B, acct.userName, temp);
  assert.ok(page.url().endsWith("/ui/change"), page.url());
  await page.goto(B.base + "/ui/account");
  assert.ok(page.url().endsWith("/ui/change"));
  await changeForm(page, temp, "Granite-Harbor-93");
  assert.equal(await text(page, "h1"), "Password changed");
  await page.goto(B.base + "/ui/security-questions");
  const q1 = await page.$eval("#question1", (s) => s.options[s.selectedIndex].text);
  const q2 = await page.$eval("#question2", (s) => s.options[s.selectedIndex].text);
  await page.fill("#answer1", "Blue");
  await page.fill("#answer2", "Rex");
  await page.fill("#current-password", "Granite-Harbor-93");
  await submit(page);
  assert.equal(await text(page, "h1"), "Security questions saved");
  await Promise.all([page.waitForLoadState(), page.click("form.sign-out button")]);
  await forgotThroughCode(page, B, acct);
  assert.equal(await text(page, "label[for=answer1]"), q1);
  assert.equal(await text(page, "label[for=answer2]"), q2);
  await page.fill("#answer1", "blue");
  await page.fill("#answer2", "rex");
  await submit(page);
  await changeForm(page, null, "Silver-Orchard-35");
  assert.equal(await text(page, "h1"), "Password changed");
  await signIn(page, B, acct.userName, "Silver-Orchard-35");
  assert.ok(page.url().endsWith("/ui/account"));
  await done(page);
});

test("German: by the browser's language, then by the account's locale", async () => {
  const page = await open({ locale: "de-DE" });
  await page.goto(A.base + "/ui/sign-in");
  assert.equal(await page.getAttribute("html", "lang"), "de");
  assert.equal(await text(page, "h1"), "Anmelden");
  await shoot(page, "sign-in-de");
  await done(page);
  const acct = await newAccount(A, { locale: "de-AT" });
  const en = await open({ locale: "en-US" });
  await signIn(en, A, acct.userName, acct.password);
  assert.equal(await text(en, "h1"), "Ihr Konto");
  await en.goto(A.base + "/ui/change");
  assert.match(await text(en, '#rules li[data-rule="min-length"]'), /Mindestens 8 Zeichen/);
  await axe(en, "change-de");
  await shoot(en, "change-de");
  await done(en);
});

test("keyboard alone: skip link, fields in order, visible focus, Enter submits", async () => {
  const acct = await newAccount(A);
  const page = await open();
  await page.goto(A.base + "/ui/sign-in");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  const tabTo = async (id) => {
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(() => document.activeElement.id) === id) return;
    }
    throw new Error(`Tab never reached #${id}`);
  };
  await tabTo("username");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none", "focus is visible");
  await page.keyboard.type(acct.userName);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "password");
  await page.keyboard.type(acct.password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.ok(page.url().endsWith("/ui/account"));
  await done(page);
});

let failed = 0;
for (const [name, fn] of tests) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n${e.stack || e}`);
  }
}
await browser.close();
console.log(`axe checked ${axeSeen.size} pages: ${[...axeSeen].join(", ")}`);
console.log(`${tests.length - failed} passed, ${failed} failed; screenshots in ${SHOTS}`);
process.exit(failed ? 1 : 0);
