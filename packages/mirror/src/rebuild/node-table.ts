/**
 * The rebuilt nodes by mirror id, and the way back. A snapshot registers every
 * node of the page at once; a WeakMap entry per node costs more than building
 * the node's id into a Map (and slows every garbage collection after it), and
 * nothing needs node → id until the agent points at something or the page
 * removes a node. So the way back is made on first use, then kept in step.
 */
export class NodeTable {
  private byId = new Map<number, Node>();
  private ids: WeakMap<Node, number> | null = null;

  get(id: number): Node | undefined {
    return this.byId.get(id);
  }

  set(id: number, node: Node): void {
    this.byId.set(id, node);
    this.ids?.set(node, id);
  }

  delete(id: number): void {
    this.byId.delete(id);
  }

  /** The id of a rebuilt node, or undefined for one the mirror does not know (its own base and style, text of a placeholder). */
  idOf(node: Node): number | undefined {
    if (!this.ids) {
      this.ids = new WeakMap();
      for (const [id, n] of this.byId) this.ids.set(n, id);
    }
    const id = this.ids.get(node);
    // A node whose id was given to another since (its entry went stale) is not known.
    return id !== undefined && this.byId.get(id) === node ? id : undefined;
  }

  /** Forgets everything: a new snapshot numbers the page again. */
  clear(): void {
    this.byId = new Map();
    this.ids = null;
  }
}
