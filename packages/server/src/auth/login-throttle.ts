/**
 * Sign-in throttling, after OWASP's "device cookie" design: guesses are
 * counted per client address and per account, and each limit, once reached,
 * blocks for a while (a longer while on the daily tier). A browser that signed
 * in to the account before presents a signed device cookie: it is counted on
 * its own (account, device) key instead of the account's, so an attacker who
 * exhausts the account's limit does not lock the real owner out.
 *
 * Attempts are counted when they start, not when they fail, so a burst of
 * parallel guesses cannot slip in before the first failure is recorded; a
 * correct password gives its point back.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface Limit {
  keyPrefix: string;
  points: number;
  /** Seconds over which points are counted. */
  duration: number;
  /** Seconds a key stays refused once over its points. */
  blockDuration?: number;
}

/** Memory for one process; a cluster passes Redis-backed limiters with the same limits. */
export type LimiterFactory = (limit: Limit) => RateLimiterAbstract;

export interface LoginAttempt {
  /** The client address (as trusted through TANDEM_TRUST_PROXY). */
  address: string;
  /** The normalized email, whether or not such an agent exists. */
  account: string;
  /** The device id from a valid device cookie for this account, or null. */
  device: string | null;
}

const MINUTES = 60;
const LIMITS = {
  address: [
    { keyPrefix: 'login-address', points: 30, duration: 15 * MINUTES, blockDuration: 15 * MINUTES },
    { keyPrefix: 'login-address-day', points: 200, duration: 24 * 60 * MINUTES, blockDuration: 60 * MINUTES },
  ],
  account: [
    { keyPrefix: 'login-account', points: 10, duration: 15 * MINUTES, blockDuration: 15 * MINUTES },
    { keyPrefix: 'login-account-day', points: 50, duration: 24 * 60 * MINUTES, blockDuration: 60 * MINUTES },
  ],
  device: [{ keyPrefix: 'login-device', points: 10, duration: 15 * MINUTES, blockDuration: 15 * MINUTES }],
} satisfies Record<string, Limit[]>;

export class LoginThrottle {
  private readonly address: RateLimiterAbstract[];
  private readonly account: RateLimiterAbstract[];
  private readonly device: RateLimiterAbstract[];

  constructor(create: LimiterFactory) {
    this.address = LIMITS.address.map(create);
    this.account = LIMITS.account.map(create);
    this.device = LIMITS.device.map(create);
  }

  /**
   * Counts the attempt; returns null when it may go on, else how many ms to wait. The address is
   * counted first, and an address over its limit counts nothing else: otherwise each refused request
   * would still make counters for the email it names, and a stream of made-up emails would fill the
   * server's memory without ever reaching a password check.
   */
  async begin(attempt: LoginAttempt): Promise<number | null> {
    const [byAddress, byAccount] = this.keys(attempt);
    return (await this.consume(byAddress)) ?? (await this.consume(byAccount));
  }

  private async consume(keys: [RateLimiterAbstract, string][]): Promise<number | null> {
    const results = await Promise.allSettled(keys.map(([limiter, key]) => limiter.consume(key)));
    let wait: number | null = null;
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      // A store that fails (Redis down) refuses the sign-in rather than letting guesses through.
      if (!(r.reason instanceof RateLimiterRes)) throw r.reason;
      wait = Math.max(wait ?? 0, r.reason.msBeforeNext, 1000);
    }
    return wait;
  }

  /** The password was right: its point comes back, and the device's run of failures ends. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const keys = this.keys(attempt).flat();
    await Promise.all(keys.map(([limiter, key]) => (this.device.includes(limiter) ? limiter.delete(key) : limiter.reward(key))));
  }

  /** The address's counters, then the account's (or the device's). */
  private keys(attempt: LoginAttempt): [[RateLimiterAbstract, string][], [RateLimiterAbstract, string][]] {
    const byAddress = this.address.map((l): [RateLimiterAbstract, string] => [l, attempt.address]);
    const byAccount = attempt.device
      ? this.device.map((l): [RateLimiterAbstract, string] => [l, `${attempt.account}\n${attempt.device}`])
      : this.account.map((l): [RateLimiterAbstract, string] => [l, attempt.account]);
    return [byAddress, byAccount];
  }
}
