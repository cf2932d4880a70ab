/**
 * Where a session may follow the visitor: this page's origin and the host
 * names the site lists in `allowedDomains` ("shop.example.com", "*.example.com").
 */
export function allowedUrl(url: URL, allowedDomains: string[] | undefined): boolean {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.origin === location.origin) return true;
  // Never from https down to http: the session's credentials would travel in clear.
  if (location.protocol === 'https:' && url.protocol !== 'https:') return false;
  const host = url.hostname.toLowerCase();
  return (allowedDomains ?? []).some((pattern) => {
    const p = pattern.trim().toLowerCase();
    return p.startsWith('*.') ? host.endsWith(p.slice(1)) || host === p.slice(2) : host === p;
  });
}
