// A local OpenID provider for the provena-oidc interop tests, configured like Provena's
// Keycloak realm: device flow, refresh tokens with rotation, offline_access, client
// credentials, RS256 JWT access tokens carrying Keycloak's claims, and Keycloak's endpoint
// paths under `/auth/realms/provena`.
//
// Usage: node server.mjs [--port N | N] [--key FILE | --generate-key]
//
// It listens on 127.0.0.1 only and prints the issuer URL on one line once it accepts
// connections. Port 0, the default, picks a free port. Tokens are signed with the RSA key in
// FILE (default keys/signing-key.pem, a test-only key) or with a new key each start.
//
// Environment settings, all in seconds except the port:
//   OIDC_PORT or PORT         the port, when no port argument is given
//   OIDC_ACCESS_TOKEN_TTL     access token lifetime, default 60
//   OIDC_REFRESH_TOKEN_TTL    refresh token lifetime, default 600
//   OIDC_OFFLINE_TOKEN_TTL    lifetime of refresh tokens with offline_access, default 86400
//   OIDC_DEVICE_CODE_TTL      device code lifetime, default 60
//   OIDC_DEVICE_INTERVAL      polling interval sent with each device code, default 1
//
// Clients (all test-only):
//   client-tools              public, device flow and refresh (Provena's CLI client id)
//   client-tools-expiring     as client-tools, but device codes expire after 3 s
//   client-tools-slow         as client-tools, but polls less than 3 s apart get slow_down
//   client-tools-counted      as client-tools, for tests that count token requests
//   provena-service           confidential, client credentials, secret `provena-service-secret`
//                             sent in the form body (client_secret_post)
//
// Users: reader, writer and admin, each with the password `<name>-password`.
//
// GET /test/counters returns the number of token requests per `<client_id> <grant_type>` and
// the number of requests per path, so tests can assert how often the client called.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));

function argument(name) {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

function seconds(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number of seconds, got \`${text}\``);
  }
  return value;
}

const positional = process.argv.slice(2).find((arg, i, all) => /^\d+$/.test(arg) && all[i - 1] !== '--port');
const port = Number(argument('--port') ?? positional ?? process.env.OIDC_PORT ?? process.env.PORT ?? 0);
const accessTokenTtl = seconds('OIDC_ACCESS_TOKEN_TTL', 60);
const refreshTokenTtl = seconds('OIDC_REFRESH_TOKEN_TTL', 600);
const offlineTokenTtl = seconds('OIDC_OFFLINE_TOKEN_TTL', 86400);
const deviceCodeTtl = seconds('OIDC_DEVICE_CODE_TTL', 60);
const deviceInterval = seconds('OIDC_DEVICE_INTERVAL', 1);

const realmPath = '/auth/realms/provena';
const resource = 'https://provena.test/api';

function signingKey() {
  if (process.argv.includes('--generate-key')) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  }
  const file = argument('--key') ?? join(here, 'keys', 'signing-key.pem');
  const jwk = createPrivateKey(readFileSync(file)).export({ format: 'jwk' });
  return { ...jwk, kid: 'provena-test-signing-key', alg: 'RS256', use: 'sig' };
}

const users = new Map([
  ['reader', { roles: ['entity-registry-read'] }],
  ['writer', { roles: ['entity-registry-read', 'entity-registry-write'] }],
  ['admin', { roles: ['entity-registry-read', 'entity-registry-write', 'entity-registry-admin'] }],
]);

function deviceClient(clientId) {
  return {
    client_id: clientId,
    client_name: 'Provena client tools',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  };
}

// Keycloak returns slow_down when a client polls faster than the interval it was given.
// oidc-provider never does, so this server enforces a minimum gap per device code.
const enforcedInterval = new Map([['client-tools-slow', 3]]);
const lastPoll = new Map();

const counters = { token: {}, paths: {} };

function count(table, key) {
  table[key] = (table[key] ?? 0) + 1;
}

// The issuer URL contains the port, so bind first and build the provider with the bound port.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}${realmPath}`;

const provider = new Provider(issuer, {
  clients: [
    deviceClient('client-tools'),
    deviceClient('client-tools-expiring'),
    deviceClient('client-tools-slow'),
    deviceClient('client-tools-counted'),
    {
      client_id: 'provena-service',
      client_secret: 'provena-service-secret',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: [signingKey()] },
  cookies: { keys: ['provena-oidc-test-cookie-key'] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'roles'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
  },
  routes: {
    token: '/protocol/openid-connect/token',
    device_authorization: '/protocol/openid-connect/auth/device',
    jwks: '/protocol/openid-connect/certs',
    revocation: '/protocol/openid-connect/revoke',
    userinfo: '/protocol/openid-connect/userinfo',
    authorization: '/protocol/openid-connect/auth',
    end_session: '/protocol/openid-connect/logout',
    introspection: '/protocol/openid-connect/token/introspect',
  },
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'provena',
        audience: 'account',
        accessTokenTTL: accessTokenTtl,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  ttl: {
    AccessToken: () => accessTokenTtl,
    ClientCredentials: () => accessTokenTtl,
    DeviceCode: (ctx, code, client) => (client.clientId === 'client-tools-expiring' ? 3 : deviceCodeTtl),
    RefreshToken: (ctx, token) => (token.scope?.split(' ').includes('offline_access') ? offlineTokenTtl : refreshTokenTtl),
    Grant: () => offlineTokenTtl,
    Interaction: () => 600,
    Session: () => 3600,
    IdToken: () => accessTokenTtl,
  },
  rotateRefreshToken: true,
  // Keycloak issues a refresh token with every device-flow sign-in, offline_access or not.
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  async findAccount(ctx, id) {
    if (!users.has(id)) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email: `${id}@example.org`, email_verified: true, name: id };
      },
    };
  },
  async extraTokenClaims(ctx, token) {
    if (token.kind === 'ClientCredentials') {
      return {
        typ: 'Bearer',
        azp: token.clientId,
        preferred_username: `service-account-${token.clientId}`,
        realm_access: { roles: ['data-store-api'] },
      };
    }
    const user = users.get(token.accountId);
    if (!user) return undefined;
    return {
      typ: 'Bearer',
      azp: token.clientId,
      preferred_username: token.accountId,
      email: `${token.accountId}@example.org`,
      realm_access: { roles: user.roles },
    };
  },
  interactions: {
    url: (ctx, interaction) => `${realmPath}/interaction/${interaction.uid}`,
  },
});

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

// The sign-in and consent pages, written against oidc-provider's interaction API the way a
// production deployment writes them.
async function interaction(ctx, uid, action) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) {
    ctx.status = 400;
    ctx.body = page('Error', '<p>This sign-in request is not the current one.</p>');
    return;
  }
  const base = `${realmPath}/interaction/${uid}`;
  if (ctx.method === 'GET' && action === undefined) {
    ctx.type = 'html';
    if (details.prompt.name === 'login') {
      ctx.body = page('Sign in', `<form id="kc-form-login" method="post" action="${base}/login">
<input type="text" name="username"/><input type="password" name="password"/>
<button type="submit">Sign in</button></form>`);
    } else {
      ctx.body = page('Grant access', `<p>${escapeHtml(details.params.client_id)} requests ${escapeHtml(details.params.scope ?? '')}</p>
<form id="kc-form-consent" method="post" action="${base}/confirm"><button type="submit">Yes</button></form>
<form id="kc-form-deny" method="post" action="${base}/abort"><button type="submit">No</button></form>`);
    }
    return;
  }
  if (ctx.method !== 'POST') {
    ctx.status = 405;
    return;
  }
  const form = new URLSearchParams((await readBody(ctx.req)).toString());
  ctx.respond = false;
  if (action === 'login') {
    const username = form.get('username') ?? '';
    if (!users.has(username) || form.get('password') !== `${username}-password`) {
      ctx.respond = true;
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = page('Sign in', '<p id="input-error">Invalid username or password.</p>');
      return;
    }
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
  } else if (action === 'confirm') {
    const { prompt: { details: missing }, grantId, session, params } = details;
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    grant.addResourceScope(resource, 'provena');
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  } else {
    await provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }
}

provider.use(async (ctx, next) => {
  count(counters.paths, ctx.path);

  const match = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(ctx.path);
  if (match) {
    await interaction(ctx, match[1], match[2]);
    return;
  }

  if (ctx.method === 'POST' && ctx.path === '/protocol/openid-connect/token') {
    // Read the body here to count and rate-limit; oidc-provider then takes it from req.body.
    const raw = await readBody(ctx.req);
    ctx.req.body = raw;
    const form = new URLSearchParams(raw.toString());
    let clientId = form.get('client_id');
    const basic = /^Basic (.+)$/.exec(ctx.get('authorization'));
    if (!clientId && basic) {
      clientId = decodeURIComponent(Buffer.from(basic[1], 'base64').toString().split(':')[0]);
    }
    count(counters.token, `${clientId} ${form.get('grant_type')}`);

    const deviceCode = form.get('device_code');
    const minimum = enforcedInterval.get(clientId);
    if (deviceCode && minimum) {
      const now = Date.now();
      const previous = lastPoll.get(deviceCode);
      lastPoll.set(deviceCode, now);
      if (previous !== undefined && now - previous < minimum * 1000) {
        ctx.status = 400;
        ctx.body = { error: 'slow_down', error_description: 'polling too fast' };
        return;
      }
    }
  }

  await next();

  if (ctx.path === '/protocol/openid-connect/auth/device' && ctx.status === 200 && ctx.body) {
    ctx.body = { ...ctx.body, interval: deviceInterval };
  }
});

const callback = provider.callback();

server.on('request', (req, res) => {
  if (req.method === 'GET' && req.url === '/test/counters') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(counters));
    return;
  }
  if (req.url === realmPath || req.url.startsWith(`${realmPath}/`) || req.url.startsWith(`${realmPath}?`)) {
    req.originalUrl = req.url;
    req.url = req.url.slice(realmPath.length) || '/';
    callback(req, res);
    return;
  }
  res.statusCode = 404;
  res.end('not found');
});

// oidc-provider prints notices to stdout; a reader that has stopped reading must not crash it.
process.stdout.on('error', () => {});
console.log(issuer);

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
