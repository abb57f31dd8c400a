// The emailed links as a person follows them, each taken out of the message a real SMTP server
// (aiosmtpd) received: the registration's verification link (press the button, see success,
// the account is verified), then a password reset: open the link in Chromium twice without
// submitting (opening uses nothing up), see the field errors for two different passwords and
// for a short one, set the new password, see success, log in with it, and see the used link
// refused.
//
// Needs a running server that mails through the SMTP server whose Maildir is MAILDIR;
// .ci/browser.sh provides both. Environment: BASE_URL, MAILDIR, CHROMIUM (default
// /usr/bin/chromium). On failure: a screenshot at target/browser-emailed-failure.png, and a
// non-zero exit.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { check, runSpec } from "./harness.mjs";

const { BASE_URL: api, MAILDIR: maildir } = process.env;
const suffix = Math.random().toString(16).slice(2, 10);
const email = `reset-${suffix}@example.com`;
const oldPassword = `old password ${suffix}`;
const newPassword = `new password ${suffix} é`;

async function post(path, body) {
  const r = await fetch(api + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
}

// Mail bodies come quoted-printable (long lines): join soft line breaks, undo =XX escapes.
function undoQuotedPrintable(raw) {
  const joined = raw.replace(/=\r?\n/g, "");
  return Buffer.from(joined.replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8");
}

// The /account/{page} link mailed to `to`, waiting up to 20 s for the sender to deliver it.
async function mailedLink(to, page) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    let names = [];
    try {
      names = readdirSync(join(maildir, "new"));
    } catch {}
    for (const name of names) {
      const message = undoQuotedPrintable(readFileSync(join(maildir, "new", name), "latin1"));
      if (!message.split(/\r?\n/).includes(`To: ${to}`)) continue;
      const link = message.match(new RegExp(`https?://[^\\s"<>]+/account/${page}\\?token=[A-Za-z0-9_-]+`));
      if (link) return link[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no ${page} link for ${to} in ${maildir}/new within 20 s`);
}

async function fill(page, first, second) {
  await page.locator("#new_password").fill(first);
  await page.locator("#repeat_password").fill(second);
  await page.getByRole("button", { name: "Set the password" }).click();
}

async function run(context, trace) {
  const registered = await post("/auth/register", { email, password: oldPassword, name: "Reset Test" });
  check(registered.status === 201, `POST /auth/register answered ${registered.status}: ${registered.text}`);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => trace.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && trace.push(`console: ${m.text()}`));
  const posts = [];
  page.on("request", (r) => r.method() === "POST" && posts.push(new URL(r.url()).pathname));

  // The registration's verification link: the button verifies the address.
  const verifyLink = await mailedLink(email, "verify");
  check(verifyLink.startsWith(`${api}/account/verify?token=`), `the mailed link ${verifyLink} does not lead to ${api}/account/verify`);
  await page.goto(verifyLink, { waitUntil: "load" });
  await page.getByRole("heading", { name: "Verify your email address" }).waitFor({ state: "visible" });
  check(posts.length === 0, `opening the verification page posted ${posts.join(", ")}`);
  await page.getByRole("button", { name: "Verify this address" }).click();
  await page.locator("#status").filter({ hasText: "Your address is verified" }).waitFor({ state: "visible" });
  const session = await post("/auth/login", { email, password: oldPassword });
  check(session.status === 200, `logging in answered ${session.status}: ${session.text}`);
  const me = await fetch(`${api}/users/me`, { headers: { authorization: `Bearer ${JSON.parse(session.text).access_token}` } });
  const verified = (await me.json()).email_verified;
  check(verified === true, `after the verification page, GET /users/me says email_verified ${verified}`);
  trace.push("verified through the mailed link");
  posts.length = 0;

  const requested = await post("/auth/password-reset", { email });
  check(requested.status === 202, `POST /auth/password-reset answered ${requested.status}: ${requested.text}`);
  const link = await mailedLink(email, "reset");
  check(link.startsWith(`${api}/account/reset?token=`), `the mailed link ${link} does not lead to ${api}/account/reset`);
  trace.push("the reset link arrived through SMTP");

  // Opened twice (a mail scanner, then the person): nothing is posted, the link stays usable.
  for (const attempt of [1, 2]) {
    const response = await page.goto(link, { waitUntil: "load" });
    check(response.status() === 200, `opening the link (${attempt}) answered ${response.status()}`);
    const headers = response.headers();
    check(headers["referrer-policy"] === "no-referrer", `Referrer-Policy is ${headers["referrer-policy"]}`);
    check((headers["content-security-policy"] ?? "").includes("default-src 'none'"), `CSP is ${headers["content-security-policy"]}`);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor({ state: "visible" });
  }
  check(posts.length === 0, `opening the page posted ${posts.join(", ")}`);

  await fill(page, newPassword, `${newPassword}!`);
  const differ = page.locator("#repeat_password-error");
  await differ.filter({ hasText: "differ" }).waitFor({ state: "visible" });
  check(posts.length === 0, "two different passwords were sent to the server");
  trace.push(`mismatch: ${await differ.innerText()}`);

  const shortAnswer = page.waitForResponse((r) => new URL(r.url()).pathname === "/auth/password-reset/confirm");
  await fill(page, "short", "short");
  check((await shortAnswer).status() === 422, `a short password answered ${(await shortAnswer).status()}`);
  const tooShort = page.locator("#new_password-error");
  await tooShort.filter({ hasText: "at least 8" }).waitFor({ state: "visible" });
  trace.push(`short: ${await tooShort.innerText()}`);
  check((await differ.innerText()) === "", "the mismatch error stayed after a new attempt");

  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === "/auth/password-reset/confirm");
  await fill(page, newPassword, newPassword);
  check((await answer).status() === 204, `setting the password answered ${(await answer).status()}`);
  await page.locator("#status").filter({ hasText: "Your password is set" }).waitFor({ state: "visible" });
  check(await page.locator("#form").isHidden(), "the form is still shown after success");

  const withNew = await post("/auth/login", { email, password: newPassword });
  check(withNew.status === 200, `logging in with the new password answered ${withNew.status}: ${withNew.text}`);
  const withOld = await post("/auth/login", { email, password: oldPassword });
  check(withOld.status === 401, `logging in with the old password answered ${withOld.status}`);

  // The used link, opened again, is refused when submitted.
  await page.goto(link, { waitUntil: "load" });
  await fill(page, `${newPassword}2`, `${newPassword}2`);
  await page.locator("#status").filter({ hasText: "invalid, used or expired" }).waitFor({ state: "visible" });
  const stillNew = await post("/auth/login", { email, password: newPassword });
  check(stillNew.status === 200, `the used link changed the password (login answered ${stillNew.status})`);
}

async function main() {
  if (!api || !maildir) {
    console.error("set BASE_URL and MAILDIR");
    return 2;
  }
  return runSpec(
    "emailed links: verification page verifies; reset page opened twice, field errors, success, log in, used link refused",
    "browser-emailed-failure.png",
    run,
  );
}

process.exitCode = await main();
