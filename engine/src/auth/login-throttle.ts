/**
 * Login throttling against password guessing: failed attempts are counted per username and per
 * client address in a sliding window; past the limit the next attempt is refused with
 * `rate_limited` and a Retry-After, before any password is checked. In-process state: with
 * several engine processes each keeps its own count (the limit per process still holds).
 */
import { AppError, msg } from '../errors.js';

export interface ThrottleOptions {
  windowMs: number;
  maxPerUser: number;
  maxPerAddress: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { windowMs: 15 * 60_000, maxPerUser: 5, maxPerAddress: 30 };

export class LoginThrottle {
  private failures = new Map<string, number[]>();

  constructor(private readonly opts: ThrottleOptions = DEFAULT_THROTTLE) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.opts.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Throws rate_limited when this username or address has failed too often. */
  check(username: string, address: string, now = Date.now()): void {
    const checks: Array<[string, number]> = [[`u:${username.toLowerCase()}`, this.opts.maxPerUser], [`a:${address}`, this.opts.maxPerAddress]];
    for (const [key, max] of checks) {
      const list = this.recent(key, now);
      if (list.length >= max) {
        const retry = Math.max(1, Math.ceil((list[list.length - max]! + this.opts.windowMs - now) / 1000));
        throw new AppError('rate_limited', msg(`尝试次数过多，请 ${retry} 秒后再试`, `Too many attempts; try again in ${retry} s`), {
          headers: { 'Retry-After': String(retry) },
        });
      }
    }
  }

  fail(username: string, address: string, now = Date.now()): void {
    if (this.failures.size > 100_000) this.failures.clear();
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) {
      const list = this.recent(key, now);
      list.push(now);
      this.failures.set(key, list);
    }
  }

  succeed(username: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }
}
