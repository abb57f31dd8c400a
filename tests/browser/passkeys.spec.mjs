// Passkeys in Chromium with the DevTools WebAuthn virtual authenticator (a CTAP2 platform
// authenticator with resident keys and user verification, presence simulated): a fresh account
// signs in with its password and registers a passkey, `navigator.credentials.create()` running
// in a page of the server's own origin; then a discoverable sign-in (`navigator.credentials.get()`
// with no allowCredentials) gets a token whose `amr` is ["hwk","user","mfa"]. Then the account
// turns on two-step sign-in (TOTP, its codes computed here with node:crypto, RFC 6238, not by
// the server's code), the authenticator stops verifying the user, and the same passkey sign-in
// answers 403 urn:gatehouse:mfa-required whose `methods` leave out `passkey`; the next step's
// TOTP code at POST /auth/login/mfa finishes it with `amr` ["hwk","otp","mfa"].
//
// The relying party id is the host of server.public_url, and Chromium refuses an IP address as
// one: the server this spec uses has public_url http://localhost:PORT, and Chromium maps
// localhost to 127.0.0.1 (nothing goes to ::1). .ci/browser.sh starts that server (a second one,
// body mode, its own database) beside the shared one on 127.0.0.1.
// Environment: PASSKEY_BASE_URL (http://localhost:PORT), CHROMIUM (default /usr/bin/chromium).
// Screenshot: target/browser-passkeys.png (the page after the sign-ins); on failure
// target/browser-passkeys-failure.png, and a non-zero exit.

import { createHmac } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { check, runSpec } from "./harness.mjs";

const api = process.env.PASSKEY_BASE_URL;
// Node's own calls go to 127.0.0.1 itself (whatever localhost resolves to here).
const direct = api?.replace("//localhost:", "//127.0.0.1:");
const target = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "target");
const screenshot = join(target, "browser-passkeys.png");
const suffix = Math.random().toString(16).slice(2, 10);
const email = `passkey-${suffix}@example.com`;
const password = `passkey password ${suffix}`;

// A JSON call from Node (the page's origin matters only to the WebAuthn ceremonies); answers
// {status, body, text}. `expect`: the status anything else fails loudly with, body included.
async function call(trace, method, path, { token, body, expect } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(direct + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  trace.push(`${method} ${path} -> ${r.status}`);
  if (expect !== undefined) check(r.status === expect, `${method} ${path} answered ${r.status}, expected ${expect}: ${text}`);
  return { status: r.status, body: json, text, headers: r.headers };
}

// The payload of a JWT (not verified: the server made it; this reads its amr).
function claims(jwt) {
  check(typeof jwt === "string" && jwt.split(".").length === 3, `not a JWT: ${JSON.stringify(jwt)}`);
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
}

function sameList(a, b) {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

// RFC 4648 base32 (no padding needed), then RFC 6238: HMAC-SHA1 over the 8-byte big-endian
// step number, dynamic truncation, 6 digits.
function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${JSON.stringify(text)}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1_000_000).padStart(6, "0");
}

const currentStep = () => Math.floor(Date.now() / 1000 / 30);

// The page's side of the ceremonies: the options' base64url fields decoded to ArrayBuffers, the
// answer's ArrayBuffers encoded back (the JSON forms by hand: no reliance on
// parseCreationOptionsFromJSON or toJSON). Each resolves to {ok, credential} or {ok: false, error}.
const pageHelpers = `
window.b64 = {
  decode(s) {
    const base64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
  },
  encode(buffer) {
    return btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  },
};
`;

async function create(tab, options) {
  return tab.evaluate(async (options) => {
    try {
      const publicKey = {
        ...options,
        challenge: b64.decode(options.challenge),
        user: { ...options.user, id: b64.decode(options.user.id) },
        excludeCredentials: (options.excludeCredentials ?? []).map((c) => ({ ...c, id: b64.decode(c.id) })),
      };
      const c = await navigator.credentials.create({ publicKey });
      return {
        ok: true,
        credential: {
          id: c.id,
          rawId: b64.encode(c.rawId),
          type: c.type,
          authenticatorAttachment: c.authenticatorAttachment ?? undefined,
          response: {
            clientDataJSON: b64.encode(c.response.clientDataJSON),
            attestationObject: b64.encode(c.response.attestationObject),
            transports: c.response.getTransports?.() ?? [],
          },
          clientExtensionResults: c.getClientExtensionResults(),
        },
      };
    } catch (e) {
      return { ok: false, error: `${e.name}: ${e.message}` };
    }
  }, options);
}

// `userVerification`: the client's own choice in place of the options' one, if given.
async function get(tab, options, userVerification) {
  return tab.evaluate(async ([options, userVerification]) => {
    try {
      const publicKey = { ...options, challenge: b64.decode(options.challenge) };
      if (userVerification) publicKey.userVerification = userVerification;
      if (options.allowCredentials) publicKey.allowCredentials = options.allowCredentials.map((c) => ({ ...c, id: b64.decode(c.id) }));
      const c = await navigator.credentials.get({ publicKey });
      return {
        ok: true,
        credential: {
          id: c.id,
          rawId: b64.encode(c.rawId),
          type: c.type,
          authenticatorAttachment: c.authenticatorAttachment ?? undefined,
          response: {
            clientDataJSON: b64.encode(c.response.clientDataJSON),
            authenticatorData: b64.encode(c.response.authenticatorData),
            signature: b64.encode(c.response.signature),
            userHandle: c.response.userHandle ? b64.encode(c.response.userHandle) : null,
          },
          clientExtensionResults: c.getClientExtensionResults(),
        },
      };
    } catch (e) {
      return { ok: false, error: `${e.name}: ${e.message}` };
    }
  }, [options, userVerification]);
}

// The authenticator data's flags byte (after the 32-byte rpIdHash): UP 0x01, UV 0x04.
function flags(credential) {
  return Buffer.from(credential.response.authenticatorData, "base64url")[32];
}

async function run(context, trace) {
  const tab = context.pages()[0] ?? (await context.newPage());
  tab.on("pageerror", (e) => trace.push(`page error: ${e.message}`));
  tab.on("console", (m) => m.type() === "error" && trace.push(`console: ${m.text()}`));
  tab.on("requestfailed", (r) => trace.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));

  // A page of the server's own origin (Swagger UI), so navigator.credentials runs there.
  const response = await tab.goto(`${api}/docs/`, { waitUntil: "domcontentloaded" });
  check(response.status() === 200, `GET /docs/ answered ${response.status()}`);
  check(new URL(tab.url()).origin === api, `the page is at ${tab.url()}, not on ${api}`);
  check(await tab.evaluate(() => window.isSecureContext), "the page is not a secure context (WebAuthn needs one)");
  await tab.evaluate(pageHelpers);

  // The virtual authenticator, attached to this page's target.
  const cdp = await context.newCDPSession(tab);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  trace.push(`virtual authenticator ${authenticatorId}`);

  // A fresh account, signed in with its password (a fresh session: no current_password needed).
  await call(trace, "POST", "/auth/register", { body: { email, password, name: `Passkey ${suffix}` }, expect: 201 });
  const login = await call(trace, "POST", "/auth/login", { body: { email, password }, expect: 200 });
  const pwdToken = login.body?.access_token;
  check(sameList(claims(pwdToken).amr, ["pwd"]), `the password sign-in's amr is ${JSON.stringify(claims(pwdToken).amr)}`);

  // Register: the options, navigator.credentials.create() in the page, the answer.
  const registration = await call(trace, "POST", "/users/me/passkeys/registration", { token: pwdToken, expect: 200 });
  const creation = registration.body.options;
  trace.push(`creation options: rp ${JSON.stringify(creation.rp)}, authenticatorSelection ${JSON.stringify(creation.authenticatorSelection)}`);
  check(creation.rp?.id === new URL(api).hostname, `the relying party id is ${JSON.stringify(creation.rp?.id)}, not ${new URL(api).hostname}`);
  const made = await create(tab, creation);
  check(made.ok, `navigator.credentials.create() failed: ${made.error}`);
  const added = await call(trace, "POST", "/users/me/passkeys", {
    token: pwdToken,
    body: { challenge_id: registration.body.challenge_id, credential: made.credential, name: "Chromium virtual authenticator" },
    expect: 201,
  });
  check(added.body?.name === "Chromium virtual authenticator", `the passkey answered: ${added.text}`);
  check(added.headers.get("location") === `/users/me/passkeys/${added.body.id}`, `Location: ${added.headers.get("location")}`);
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  check(credentials.length === 1 && credentials[0].isResidentCredential, `the authenticator holds ${JSON.stringify(credentials.map((c) => ({ id: c.credentialId, rk: c.isResidentCredential })))}`);

  // A discoverable sign-in with user verification: one step, amr hwk user mfa.
  const options1 = await call(trace, "POST", "/auth/passkey/options", { expect: 200 });
  check(options1.body.options.allowCredentials === undefined || options1.body.options.allowCredentials.length === 0,
    `a discoverable sign-in's options list credentials: ${JSON.stringify(options1.body.options.allowCredentials)}`);
  const assertion1 = await get(tab, options1.body.options);
  check(assertion1.ok, `navigator.credentials.get() failed: ${assertion1.error}`);
  check((flags(assertion1.credential) & 0x05) === 0x05, `the assertion's flags are ${flags(assertion1.credential)}, expected UP and UV`);
  check(assertion1.credential.id === made.credential.id, "the sign-in used another credential than the one registered");
  const signIn1 = await call(trace, "POST", "/auth/passkey", {
    body: { challenge_id: options1.body.challenge_id, credential: assertion1.credential },
    expect: 200,
  });
  const amr1 = claims(signIn1.body.access_token).amr;
  trace.push(`passkey sign-in amr ${JSON.stringify(amr1)}`);
  check(sameList(amr1, ["hwk", "user", "mfa"]), `the passkey sign-in's amr is ${JSON.stringify(amr1)}, expected ["hwk","user","mfa"]`);
  const me = await call(trace, "GET", "/users/me", { token: signIn1.body.access_token, expect: 200 });
  check(me.body.email === email, `GET /users/me answered ${me.text}`);

  // Two-step sign-in on: enrol (the passkey session is fresh) and confirm with this step's code.
  const enrolment = await call(trace, "POST", "/users/me/mfa/totp", { token: signIn1.body.access_token, expect: 201 });
  const secret = enrolment.body.secret;
  check(typeof secret === "string" && enrolment.body.otpauth_uri?.includes(`secret=${secret}`), `the enrolment answered ${enrolment.text}`);
  const confirmStep = currentStep();
  await call(trace, "POST", "/users/me/mfa/totp/confirm", {
    token: signIn1.body.access_token,
    body: { code: totp(secret, confirmStep) },
    expect: 200,
  });

  // The authenticator no longer verifies the user: the passkey is one factor now. Chromium
  // fails a get() whose user verification is "preferred" (as the server asks) when a
  // UV-capable authenticator cannot verify, so this client asks for none ("discouraged"): the
  // assertion comes with user presence alone, which "preferred" lets the server accept.
  await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
  const options2 = await call(trace, "POST", "/auth/passkey/options", { expect: 200 });
  check(options2.body.options.userVerification === "preferred", `the sign-in options ask for user verification ${JSON.stringify(options2.body.options.userVerification)}`);
  const assertion2 = await get(tab, options2.body.options, "discouraged");
  check(assertion2.ok, `navigator.credentials.get() without user verification failed: ${assertion2.error}`);
  check((flags(assertion2.credential) & 0x05) === 0x01, `the assertion's flags are ${flags(assertion2.credential)}, expected UP without UV`);
  const signIn2 = await call(trace, "POST", "/auth/passkey", {
    body: { challenge_id: options2.body.challenge_id, credential: assertion2.credential },
    expect: 403,
  });
  trace.push(`mfa-required: ${JSON.stringify({ ...signIn2.body, mfa_token: "…" })}`);
  check(signIn2.headers.get("content-type")?.startsWith("application/problem+json"), `content-type ${signIn2.headers.get("content-type")}`);
  check(signIn2.body?.type === "urn:gatehouse:mfa-required", `the 403 is not mfa-required: ${signIn2.text}`);
  check(signIn2.body.access_token === undefined, "the mfa-required answer carries a token");
  check(typeof signIn2.body.mfa_token === "string" && signIn2.body.mfa_token.startsWith("gatehouse_mt_"), `mfa_token ${signIn2.body.mfa_token}`);
  check(Array.isArray(signIn2.body.methods) && signIn2.body.methods.includes("totp"), `methods ${JSON.stringify(signIn2.body.methods)} lack totp`);
  check(!signIn2.body.methods.includes("passkey"), `methods ${JSON.stringify(signIn2.body.methods)} offer the passkey as a second step`);

  // The second step: the next step's code (this step's was used by the confirmation).
  const finished = await call(trace, "POST", "/auth/login/mfa", {
    body: { mfa_token: signIn2.body.mfa_token, code: totp(secret, confirmStep + 1) },
    expect: 200,
  });
  const amr2 = claims(finished.body.access_token).amr;
  trace.push(`passkey + TOTP amr ${JSON.stringify(amr2)}`);
  check(sameList(amr2, ["hwk", "otp", "mfa"]), `the passkey + TOTP sign-in's amr is ${JSON.stringify(amr2)}, expected ["hwk","otp","mfa"]`);
  const list = await call(trace, "GET", "/users/me/passkeys", { token: finished.body.access_token, expect: 200 });
  check(list.body.items.length === 1 && list.body.items[0].last_used_at, `the passkeys: ${list.text}`);

  // What happened, shown on the page for the screenshot.
  await tab.evaluate((lines) => {
    const panel = document.createElement("section");
    panel.id = "passkey-status";
    Object.assign(panel.style, {
      position: "fixed", top: "0", left: "0", right: "0", zIndex: "10000", padding: "16px 24px",
      background: "#e8f5e9", borderBottom: "3px solid #2e7d32", font: "15px/1.5 system-ui, sans-serif", color: "#1b2e1b",
    });
    const title = document.createElement("h2");
    title.textContent = "Passkeys: signed in (Chromium virtual authenticator)";
    title.style.margin = "0 0 8px";
    panel.append(title);
    for (const line of lines) {
      const p = document.createElement("div");
      p.textContent = "✓ " + line;
      panel.append(p);
    }
    document.body.append(panel);
  }, [
    `${email}: passkey registered on ${api} (rp id ${creation.rp.id})`,
    `discoverable sign-in with user verification: amr ${JSON.stringify(amr1)}`,
    `TOTP on; the same passkey without user verification: 403 mfa-required, methods ${JSON.stringify(signIn2.body.methods)}`,
    `then the next TOTP code at /auth/login/mfa: amr ${JSON.stringify(amr2)}`,
  ]);
  await tab.locator("#passkey-status").waitFor();
  await tab.screenshot({ path: screenshot });
}

async function main() {
  if (!api) {
    console.error("set PASSKEY_BASE_URL (http://localhost:PORT, the server's public_url)");
    return 2;
  }
  const url = new URL(api);
  if (url.hostname !== "localhost" || url.origin !== api) {
    console.error(`PASSKEY_BASE_URL must be an origin on localhost (Chromium refuses an IP address as a relying party id): ${api}`);
    return 2;
  }
  mkdirSync(target, { recursive: true });
  rmSync(screenshot, { force: true });
  return runSpec(
    "passkeys: register in Chromium's virtual authenticator, discoverable sign-in (amr hwk user mfa), without user verification mfa-required then TOTP",
    "browser-passkeys-failure.png",
    run,
    // localhost to 127.0.0.1 alone: nothing to ::1 or elsewhere.
    { args: ["--host-resolver-rules=MAP localhost 127.0.0.1"] },
  );
}

process.exitCode = await main();
