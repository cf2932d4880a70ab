/**
 * Which pages may talk to this server. The console and the viewer must be
 * same-origin; visitor pages may be the server's own (the demo) or an origin
 * the operator allowed.
 */
export class OriginPolicy {
  constructor(private readonly allowed: string[]) {}

  sameOrigin(origin: string | undefined, host: string | undefined): boolean {
    if (!origin || !host) return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  visitorOriginAllowed(origin: string | undefined, host: string | undefined): boolean {
    return this.sameOrigin(origin, host) || (origin !== undefined && this.allowed.includes(origin));
  }
}
