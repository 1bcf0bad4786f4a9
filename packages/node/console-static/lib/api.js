// The console's calls to its node: JSON with the session cookie; writes carry the session's CSRF token.
let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function check(response) {
  if (response.status === 401) {
    location.assign('/console/login');
    throw new ApiError(401, 'unauthorized', 'the session ended; log in again');
  }
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, body?.error?.code ?? 'http-error', body?.error?.message ?? `the node answered ${response.status}`);
  }
  return response;
}

export async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  return (await check(response)).json();
}

export async function post(path, body, contentType = 'application/json') {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': contentType, 'x-csrf-token': csrfToken ?? '', accept: 'application/json' },
    body: contentType === 'application/json' ? JSON.stringify(body) : body,
  });
  return (await check(response)).json();
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
