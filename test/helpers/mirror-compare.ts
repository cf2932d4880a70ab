/**
 * Rebuilds the same batches twice in the agent's page (the rebuild bundle of
 * mirror-pair.ts loaded), by the parse of markup (rebuild/markup.ts and, for
 * a sliced snapshot, stream.ts) and node by node, and says how the two
 * documents differ: node for node (kind, name, namespace, attributes, text)
 * and id for id. Runs in the page (page.evaluate): self-contained.
 */
export interface Comparison {
  /** The markup build parsed the snapshot (false: it fell back to the node-by-node build). */
  parsed: boolean;
  /** Added subtrees that continued the snapshot's parse. */
  streamed: number;
  /** The parsed document was complete (its parse closed) once the batches were applied. */
  complete: boolean;
  ids: number;
  differences: string[];
}

export function compareRebuilds(batches: string[]): Comparison {
  const frame = (markup: boolean) => {
    const f = document.createElement('iframe');
    f.setAttribute('sandbox', 'allow-same-origin');
    document.body.append(f);
    const r = new (window as any).TandemRebuild.Rebuilder(f, {}, { markup });
    for (const b of batches) r.apply(JSON.parse(b));
    return r;
  };
  const parsed = frame(true);
  const built = frame(false);
  const HTML = 'http://www.w3.org/1999/xhtml';
  const describe = (n: Node | undefined): string => {
    if (!n) return 'none';
    if (n.nodeType === 1) {
      const el = n as Element;
      // Sprite copies are numbered by a counter both rebuilders in this page share.
      const attrs = Array.from(el.attributes)
        .map((a) => `${a.name}=${JSON.stringify(a.value.replace(/tandem-sprite-\d+/g, 'tandem-sprite-N'))}`)
        .sort()
        .join(' ');
      // The namespace too: the node-by-node build follows the parser's rules for foreign content.
      return `<${el.namespaceURI === HTML ? '' : el.namespaceURI}|${el.localName} ${attrs}>`;
    }
    if (n.nodeType === 3) return `text ${JSON.stringify((n as Text).data)}`;
    if (n.nodeType === 8) return `comment ${JSON.stringify((n as Comment).data)}`;
    return `node ${n.nodeType}`;
  };
  const differences: string[] = [];
  const walk = (a: Node, b: Node, path: string) => {
    if (differences.length > 20) return;
    if (describe(a) !== describe(b)) differences.push(`${path}: ${describe(a)} vs ${describe(b)}`);
    const sa = (a as Element).shadowRoot;
    const sb = (b as Element).shadowRoot;
    if (!!sa !== !!sb) differences.push(`${path}: shadow root ${!!sa} vs ${!!sb}`);
    else if (sa && sb) walk(sa, sb, `${path}/#shadow`);
    const ca = Array.from(a.childNodes);
    const cb = Array.from(b.childNodes);
    if (ca.length !== cb.length) differences.push(`${path}: ${ca.length} children vs ${cb.length}`);
    for (let i = 0; i < Math.min(ca.length, cb.length); i++) walk(ca[i]!, cb[i]!, `${path}/${i}`);
  };
  walk(parsed.document, built.document, '');
  let ids = 0;
  for (let id = 1; id < 200_000 && differences.length <= 20; id++) {
    const a = parsed.nodeOfId(id);
    const b = built.nodeOfId(id);
    if (!a && !b) continue;
    ids++;
    if (describe(a) !== describe(b)) differences.push(`id ${id}: ${describe(a)} vs ${describe(b)}`);
  }
  return {
    parsed: parsed.snapshotParsed as boolean,
    streamed: parsed.streamedAdditions as number,
    complete: parsed.document.readyState === 'complete',
    ids,
    differences,
  };
}
