/**
 * Console sessions, held in memory by the daemon: a random session id in an HttpOnly,
 * SameSite=Strict cookie, a CSRF token per session, an idle and an absolute expiry. Ids are kept
 * hashed, so the table itself holds nothing a client could present.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'venn_console';

export interface Session {
  readonly csrf: string;
  readonly createdAt: number;
  lastSeen: number;
}

export interface SessionOptions {
  readonly now: () => number;
  readonly rng: (n: number) => Uint8Array;
  /** A session unused this long ends. */
  readonly idleMs?: number;
  /** A session ends this long after login whatever its use. */
  readonly maxAgeMs?: number;
  /** Sessions held at once; the least recently used goes first. */
  readonly maxSessions?: number;
}

const key = (id: string): string => createHash('sha256').update(id, 'utf8').digest('hex');

export class SessionTable {
  readonly idleMs: number;
  readonly maxAgeMs: number;
  private readonly maxSessions: number;
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: SessionOptions) {
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.maxAgeMs = options.maxAgeMs ?? 12 * 3_600_000;
    this.maxSessions = options.maxSessions ?? 32;
  }

  private token(): string {
    return Buffer.from(this.options.rng(32)).toString('base64url');
  }

  /** A new session: its id (for the cookie only) and the session. */
  create(): { id: string; session: Session } {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) {
      let oldest: string | undefined;
      let seen = Infinity;
      for (const [k, s] of this.sessions) if (s.lastSeen < seen) { seen = s.lastSeen; oldest = k; }
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = this.token();
    const now = this.options.now();
    const session: Session = { csrf: this.token(), createdAt: now, lastSeen: now };
    this.sessions.set(key(id), session);
    return { id, session };
  }

  /** The live session for a cookie value, touched; undefined if unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined || id === '' || id.length > 200) return undefined;
    const k = key(id);
    const session = this.sessions.get(k);
    if (session === undefined) return undefined;
    const now = this.options.now();
    if (now - session.lastSeen > this.idleMs || now - session.createdAt > this.maxAgeMs) {
      this.sessions.delete(k);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  destroy(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(key(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.options.now();
    for (const [k, s] of this.sessions) if (now - s.lastSeen > this.idleMs || now - s.createdAt > this.maxAgeMs) this.sessions.delete(k);
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(presented: string | undefined, session: Session): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(session.csrf, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Set-Cookie for a session id; the cookie never outlives the session's absolute expiry. */
export function sessionCookie(id: string, maxAgeMs: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeMs / 1000)}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`;
}
