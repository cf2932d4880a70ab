/**
 * The watch page's parameters, from the address's fragment only: a fragment
 * is never sent to a server, so a code or a link token stays out of server
 * logs, proxies and Referer headers. Once read they are removed from the
 * address (and so from the history, a bookmark, a screenshot of the bar).
 */
export interface WatchParams {
  /** The code the visitor reads out (Genesys's `sid`). */
  code: string | null;
  /** A watch URL's single-use token. */
  token: string | null;
  /** A session the signed-in agent already belongs to (a rejoin, the console's links). */
  session: string | null;
  /** The desktop has its own code box: hide ours (Genesys's `nosidinput`). */
  noInput: boolean;
  /** Log what the page does to the browser's console. */
  debug: boolean;
}

export function readParams(): WatchParams {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const flag = (...names: string[]) => names.some((n) => hash.get(n) === '1' || hash.get(n) === 'true');
  const params: WatchParams = {
    code: clean(hash.get('code') ?? hash.get('sid'), /^[\d ]{1,20}$/),
    token: clean(hash.get('token'), /^[A-Za-z0-9._-]{1,4096}$/),
    session: clean(hash.get('session'), /^[A-Za-z0-9-]{1,64}$/),
    noInput: flag('noinput', 'nosidinput'),
    debug: flag('debug'),
  };
  if (location.hash) history.replaceState(history.state, '', location.pathname);
  return params;
}

function clean(value: string | null, shape: RegExp): string | null {
  return value !== null && shape.test(value) ? value : null;
}
