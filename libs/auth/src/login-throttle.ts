import { Inject, Injectable } from '@nestjs/common';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';

/**
 * Failed-login counter per (username, ip) and per ip, over a sliding window. In memory:
 * one node's view. Behind several api nodes, each limits on its own (the load balancer's
 * stickiness keeps a client on one node); a shared Redis counter is the next step.
 */
@Injectable()
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private sweeps = 0;

  constructor(@Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig) {}

  private keys(username: string, ip: string): string[] {
    return [`u:${username.toLowerCase()}|${ip}`, `ip:${ip}`];
  }

  private recent(key: string, now: number): number[] {
    const windowMs = this.config.loginRateLimit.windowSeconds * 1000;
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds to wait before another attempt is allowed, or 0. */
  retryAfter(username: string, ip: string, now = Date.now()): number {
    const { attempts, windowSeconds } = this.config.loginRateLimit;
    const [userKey, ipKey] = this.keys(username, ip);
    const perUser = this.recent(userKey, now);
    const perIp = this.recent(ipKey, now);
    // A whole ward shares one NAT address: the per-ip limit is generous, the per-user one tight.
    const blocking =
      perUser.length >= attempts ? perUser : perIp.length >= attempts * 10 ? perIp : null;
    if (!blocking) return 0;
    return Math.max(1, Math.ceil((blocking[0] + windowSeconds * 1000 - now) / 1000));
  }

  fail(username: string, ip: string, now = Date.now()): void {
    for (const key of this.keys(username, ip))
      this.failures.set(key, [...this.recent(key, now), now]);
    if (++this.sweeps % 1000 === 0)
      for (const key of [...this.failures.keys()]) this.recent(key, now);
  }

  succeed(username: string, ip: string): void {
    this.failures.delete(this.keys(username, ip)[0]);
  }
}
