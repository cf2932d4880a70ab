/**
 * Addresses kept as metadata lose their query and fragment: a GET form puts
 * what the visitor typed there, and metadata must never hold page content.
 */
export function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.slice(0, 2048);
  } catch {
    const cut = url.search(/[?#]/);
    return (cut === -1 ? url : url.slice(0, cut)).slice(0, 2048);
  }
}
