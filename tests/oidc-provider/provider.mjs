// Test-only OpenID Connect provider for Gatehouse integration and browser tests.
//
// Wraps panva's oidc-provider (see package.json for the pinned version) with:
//   - env configuration (PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS),
//   - a fresh RS256 signing key per start,
//   - automatic consent (no consent screen), dev login form (any login + non-empty password),
//   - test control endpoints under /__test/ (accounts, one-shot id_token tamper, discovery outage).
//
// Stdout carries exactly one line once listening: {"issuer":"http://127.0.0.1:<port>","port":<port>}
// Everything else goes to stderr. See demo_flow.py for a complete relying-party walk-through.

import * as http from 'node:http';
import * as crypto from 'node:crypto';
import { format } from 'node:util';

const HOST = '127.0.0.1';
const JWKS_PATH = '/jwks';
const DISCOVERY_PATH = '/.well-known/openid-configuration';

// ---------------------------------------------------------------------------
// stdout is reserved for the single JSON line. oidc-provider prints notices via
// console.info (stdout) and warnings via console.warn: route everything to stderr and
// drop the known development-mode warnings. Must happen before oidc-provider is imported.
const SILENCED = [
  'devInteractions is enabled',
  'in-memory adapter',
  'Unsupported runtime', // oidc-provider 9 officially targets Node 22+, it runs fine on Node 20.
  'already parsed request body', // we pre-read the login form to enforce a non-empty password
];
const toStderr = (...args) => {
  const line = format(...args);
  if (SILENCED.some((s) => line.includes(s))) return;
  process.stderr.write(`${line}\n`);
};
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;
console.warn = toStderr;

function die(message) {
  process.stderr.write(`oidc test provider: ${message}\n`);
  process.exit(2);
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}

// ---------------------------------------------------------------------------
// Configuration.
const portText = process.env.PORT ?? '0';
if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
  die(`PORT must be an integer between 0 and 65535, got ${JSON.stringify(portText)}`);
}
const PORT = Number(portText);
const CLIENT_ID = process.env.OIDC_CLIENT_ID || 'gatehouse';
const CLIENT_SECRET = process.env.OIDC_CLIENT_SECRET || 'gatehouse-secret';
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
if (redirectUris.length === 0) {
  die('OIDC_REDIRECT_URIS is required (comma-separated relying-party callback URLs)');
}
for (const uri of redirectUris) {
  const parsed = URL.parse(uri);
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.hash) {
    die(`OIDC_REDIRECT_URIS contains an invalid http(s) URL: ${JSON.stringify(uri)}`);
  }
}
if (CLIENT_ID === 'other-client') {
  die('OIDC_CLIENT_ID must not be "other-client" (reserved for the second test client)');
}

let Provider;
let jose;
try {
  ({ default: Provider } = await import('oidc-provider'));
  jose = await import('jose');
} catch (err) {
  die(`cannot load oidc-provider (run "npm ci" in tests/oidc-provider): ${err.message}`);
}

// ---------------------------------------------------------------------------
// Test-controlled state.
const accounts = new Map(); // login -> { email?, email_verified?, name? }
let pendingTamper = null; // claim overrides for the next id_token issued by the token endpoint
let failDiscovery = false;

// Fresh signing key for this process.
const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = {
  ...(await jose.exportJWK(privateKey)),
  kid: crypto.randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

// ---------------------------------------------------------------------------
// HTTP server: listen first (PORT=0 picks a free port), then build the provider with the
// resulting issuer.
const server = http.createServer();
server.on('error', (err) => die(`cannot listen on ${HOST}:${PORT}: ${err.message}`));
await new Promise((resolve) => server.listen(PORT, HOST, resolve));
const { port } = server.address();
const issuer = `http://${HOST}:${port}`;

const client = (clientId, clientSecret) => ({
  client_id: clientId,
  client_secret: clientSecret,
  redirect_uris: redirectUris,
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too
});

const provider = new Provider(issuer, {
  clients: [client(CLIENT_ID, CLIENT_SECRET), client('other-client', 'other-secret')],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  pkce: { required: () => true }, // oidc-provider 9 only implements S256
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  conformIdTokenClaims: false, // scope claims go into the ID token itself
  routes: { jwks: JWKS_PATH },
  features: {
    devInteractions: { enabled: true },
  },
  clientBasedCORS: () => true,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
  },
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { ...(accounts.get(sub) ?? {}), sub };
      },
    };
  },
  // No consent screen: ensure the grant covers whatever OIDC scopes/claims were requested.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!grant) {
      grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
    }
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    grant.addOIDCClaims([...oidc.requestParamClaims]);
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    const esc = (v) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    ctx.body = `<!DOCTYPE html><title>oidc error</title><h1>${esc(out.error)}</h1>`
      + `<p id="error_description">${esc(out.error_description ?? '')}</p>`;
  },
});

provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc server_error: ${err.stack}\n`));

// One-shot id_token tampering at the token endpoint, re-signed with our own key and kid.
provider.use(async (ctx, next) => {
  await next();
  if (
    pendingTamper
    && ctx.oidc?.route === 'token'
    && ctx.status === 200
    && typeof ctx.body?.id_token === 'string'
  ) {
    const overrides = pendingTamper;
    pendingTamper = null;
    const [headerB64] = ctx.body.id_token.split('.');
    const header = JSON.parse(Buffer.from(headerB64, 'base64url').toString());
    const payload = jose.decodeJwt(ctx.body.id_token);
    for (const [claim, value] of Object.entries(overrides)) {
      if (value === null) delete payload[claim];
      else payload[claim] = value;
    }
    ctx.body = {
      ...ctx.body,
      id_token: await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(header)
        .sign(privateKey),
    };
  }
});

const providerCallback = provider.callback();

// ---------------------------------------------------------------------------
// Request handling.
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text === undefined ? undefined : `${text}\n`);
}

async function readJsonObject(req) {
  const value = JSON.parse(await readBody(req));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('body must be a JSON object');
  }
  return value;
}

async function handleTest(req, res, path) {
  if (path === '/__test/health') {
    if (req.method !== 'GET') return reply(res, 405, 'method not allowed');
    return reply(res, 200, 'ok');
  }
  const accountMatch = /^\/__test\/accounts\/([^/]+)$/.exec(path);
  if (!accountMatch && !['/__test/tamper', '/__test/fail'].includes(path)) {
    return reply(res, 404, 'unknown test endpoint');
  }
  if (req.method !== 'PUT') return reply(res, 405, 'method not allowed');

  let body;
  try {
    body = await readJsonObject(req);
  } catch (err) {
    return reply(res, 400, `invalid JSON body: ${err.message}`);
  }

  if (accountMatch) {
    const login = decodeURIComponent(accountMatch[1]);
    const types = { email: 'string', email_verified: 'boolean', name: 'string' };
    for (const [key, value] of Object.entries(body)) {
      if (!(key in types)) return reply(res, 400, `unknown account field ${key}`);
      if (typeof value !== types[key]) return reply(res, 400, `${key} must be a ${types[key]}`);
    }
    accounts.set(login, { ...body });
  } else if (path === '/__test/tamper') {
    pendingTamper = Object.keys(body).length ? body : null;
  } else {
    if (typeof body.discovery !== 'boolean') return reply(res, 400, 'expected {"discovery": true|false}');
    failDiscovery = body.discovery;
  }
  return reply(res, 204);
}

server.on('request', async (req, res) => {
  try {
    const path = new URL(req.url, issuer).pathname;
    if (path.startsWith('/__test/') || path === '/__test') {
      await handleTest(req, res, path);
      return;
    }
    if (failDiscovery && (path === DISCOVERY_PATH || path === JWKS_PATH)) {
      reply(res, 503, 'discovery disabled by /__test/fail');
      return;
    }
    // Dev login form: the built-in handler accepts any password (even empty); require one.
    if (req.method === 'POST' && /^\/interaction\/[^/]+$/.test(path)) {
      const raw = await readBody(req);
      const form = new URLSearchParams(raw);
      if (form.get('prompt') === 'login' && (!form.get('login') || !form.get('password'))) {
        reply(res, 400, 'login and a non-empty password are required');
        return;
      }
      req.body = raw; // oidc-provider falls back to req.body once the stream is consumed
    }
    providerCallback(req, res);
  } catch (err) {
    process.stderr.write(`oidc test provider: request failed: ${err.stack}\n`);
    if (!res.headersSent) reply(res, 500, 'internal error');
    else res.destroy();
  }
});

process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
