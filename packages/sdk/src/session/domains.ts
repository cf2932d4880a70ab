/** An http(s) address resolved against this page, or null (javascript:, data:, not an address). */
export function httpUrl(href: string): URL | null {
  try {
    const url = new URL(href, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * Where a form's submission goes. A submitter's `formAction` reads as the
 * page's own address when it has no attribute: only the attribute counts, else
 * the form's action.
 */
export function submissionHref(form: HTMLFormElement, submitter: Element | null): string {
  const button = submitter as HTMLButtonElement | null;
  return button?.hasAttribute('formaction') ? button.formAction : form.action;
}

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
